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


def check_activity(activity: Any) -> IncomingActivity:
    """The activity's shape, before anyone's key is fetched: an object with one type, an
    http(s) actor, and an id on the actor's origin (without an id a replay could not be
    told from the original).

    Raises:
        DocumentError: not an activity (400).
        OriginMismatchError: the id is on another origin (400).
    """
    if not isinstance(activity, dict):
        msg = "an activity must be a JSON object"
        raise DocumentError(msg, code="activity_not_an_object", status=400)
    type_ = activity.get("type")
    if not isinstance(type_, str) or not type_:
        msg = "activity has no single type"
        raise DocumentError(msg, code="activity_without_type", status=400)
    actor = id_of(activity.get("actor"))
    if actor is None:
        msg = "activity has no actor"
        raise DocumentError(msg, code="activity_without_actor", status=400)
    try:
        origin_of(actor)
    except ValueError:
        msg = "activity actor is not an http(s) URL"
        raise DocumentError(msg, code="activity_actor_invalid", status=400) from None
    activity_id = activity.get("id")
    if activity_id is None:
        msg = "activity has no id"
        raise DocumentError(msg, code="activity_without_id", status=400)
    if not isinstance(activity_id, str):
        msg = "activity id must be a string"
        raise DocumentError(msg, code="activity_id_invalid", status=400)
    if not same_origin(activity_id, actor):
        msg = f"activity id {activity_id} is not on the actor's origin"
        raise OriginMismatchError(msg, code="activity_id_origin_mismatch", status=400)
    return IncomingActivity(
        id=activity_id,
        type=type_,
        actor=actor,
        object_id=id_of(activity.get("object")),
        raw=activity,
    )


def accept(activity: Any, *, signer: str) -> IncomingActivity:
    """Check an activity against the actor whose key signed the request: its shape
    (check_activity), and the signer must be its actor (Fedify CVE-2025-54888).

    Raises:
        DocumentError: not an activity.
        SignatureInvalidError: signed by someone else than `actor`.
        OriginMismatchError: the id is on another origin.
    """
    incoming = check_activity(activity)
    if incoming.actor != signer:
        msg = f"signed by {signer}, not by the activity's actor {incoming.actor}"
        raise SignatureInvalidError(msg, code="signer_actor_mismatch")
    return incoming
