"""Objects received from other servers: sanitized, normalized with bundled contexts, and
their movement part validated by the same schemas as our own authoring input (pure)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import structlog

from federation import limits
from federation.audience import Audience
from federation.jsonld import NormalizationError, bundled, normalize
from federation.origin import same_origin
from federation.vocab.read import id_of
from node.movement.render import sanitize_html
from node.movement.schemas import context_terms, validate
from node.movement.wire import AS_CONTEXT, SECURITY_CONTEXT, context, movement_part

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Received:
    body: dict[str, Any]  # the object as received, its HTML sanitized
    public: bool
    kind: str | None = None
    fields: dict[str, Any] | None = None
    clusters: list[str] = field(default_factory=list)


def sanitized(obj: dict[str, Any]) -> dict[str, Any]:
    """The object with its `content` and `summary` HTML through the same gate as ours."""
    clean = dict(obj)
    for key in ("content", "summary"):
        if isinstance(clean.get(key), str):
            clean[key] = sanitize_html(clean[key])
    return clean


def read_object(obj: dict[str, Any], activity_context: Any = None) -> Received:
    """A received object with its validated movement part; an invalid part is dropped and
    logged (the object is kept as a plain post), never raised. An object embedded in an
    activity is read in the activity's `@context`."""
    if "@context" not in obj and activity_context is not None:
        obj = {"@context": activity_context, **obj}
    body = sanitized(obj)
    public = Audience.of(obj).public
    try:
        normalized = normalize(
            obj,
            context=context(),
            familiar=[AS_CONTEXT, SECURITY_CONTEXT, context_terms()],
            documents=bundled(),
        )
    except NormalizationError as exc:
        log.info("movement_part_dropped", object_id=obj.get("id"), reason=str(exc))
        return Received(body, public)
    part = movement_part(normalized)
    if part is None:
        return Received(body, public)
    kind, data = part
    errors = validate(kind, data)
    if errors:
        log.info(
            "movement_part_dropped",
            object_id=obj.get("id"),
            kind=kind,
            errors=[f"{e.field}: {e.message}" for e in errors[:5]],
        )
        return Received(body, public)
    return Received(body, public, kind, data, list(data.get("clusters", [])))


def public_movement(
    document: dict[str, Any], object_id: str, activity_context: Any = None
) -> tuple[str, Received] | str:
    """A fetched object someone else brought (a member's or a relay's boost) as (author,
    its movement part), or why it is not kept: its author must be on the object's origin,
    it must fit the limits, and be a public movement object."""
    author = id_of(document.get("attributedTo"))
    if author is None or not same_origin(author, object_id):
        return "no author on its origin"
    if (too_big := limits.oversized(document)) is not None:
        return too_big
    received = read_object(document, activity_context)
    if not received.public or received.kind is None:
        return "not a public movement object"
    return author, received
