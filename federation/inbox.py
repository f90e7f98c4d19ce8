"""Inbox verdicts (pure): is this activity, signed by this actor, acceptable at all?"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from federation.errors import DocumentError, OriginMismatchError, SignatureInvalidError
from federation.origin import origin_of, same_origin
from federation.vocab.read import id_of


@dataclass(frozen=True, slots=True)
class IncomingActivity:
    id: str | None
    type: str
    actor: str
    object_id: str | None
    raw: dict[str, Any]


def accept(activity: Any, *, signer: str) -> IncomingActivity:
    """Check an activity against the actor whose key signed the request.

    The signer must be the activity's actor (Fedify CVE-2025-54888); the activity id,
    when present, must share the actor's origin.

    Raises:
        DocumentError: not an activity.
        SignatureInvalidError: signed by someone else than `actor`.
        OriginMismatchError: the id is on another origin.
    """
    if not isinstance(activity, dict):
        msg = "an activity must be a JSON object"
        raise DocumentError(msg)
    type_ = activity.get("type")
    if not isinstance(type_, str) or not type_:
        msg = "activity has no single type"
        raise DocumentError(msg)
    actor = id_of(activity.get("actor"))
    if actor is None:
        msg = "activity has no actor"
        raise DocumentError(msg)
    try:
        origin_of(actor)
    except ValueError:
        msg = "activity actor is not an http(s) URL"
        raise DocumentError(msg) from None
    if actor != signer:
        msg = f"signed by {signer}, not by the activity's actor {actor}"
        raise SignatureInvalidError(msg)
    activity_id = activity.get("id")
    if activity_id is not None:
        if not isinstance(activity_id, str):
            msg = "activity id must be a string"
            raise DocumentError(msg)
        if not same_origin(activity_id, actor):
            msg = f"activity id {activity_id} is not on the actor's origin"
            raise OriginMismatchError(msg)
    return IncomingActivity(
        id=activity_id,
        type=type_,
        actor=actor,
        object_id=id_of(activity.get("object")),
        raw=activity,
    )
