"""Builders for the activities we send (pure; ids are minted by the caller)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from federation.vocab.shapes import Activity, Tombstone

AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


def iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def follow(*, id: str, actor: str, target: str) -> Activity:
    return {
        "@context": AS_CONTEXT,
        "id": id,
        "type": "Follow",
        "actor": actor,
        "object": target,
    }


def undo(*, id: str, actor: str, obj: Mapping[str, Any]) -> Activity:
    """Take back an earlier activity of `actor` (a Follow, a Like…), embedded."""
    return {
        "@context": AS_CONTEXT,
        "id": id,
        "type": "Undo",
        "actor": actor,
        "object": embedded(obj),
    }


def embedded(document: Mapping[str, Any]) -> dict[str, Any]:
    """A document as embedded in another one: without its own `@context`."""
    return {k: v for k, v in document.items() if k != "@context"}


def _answer(
    type_: str, id: str, actor: str, follow_activity: Mapping[str, Any]
) -> Activity:
    return {
        "@context": AS_CONTEXT,
        "id": id,
        "type": type_,
        "actor": actor,
        "object": embedded(follow_activity),
    }


def accept(*, id: str, actor: str, follow_activity: Mapping[str, Any]) -> Activity:
    """Accept a Follow, embedding the Follow as Mastodon expects (`accept.rb`)."""
    return _answer("Accept", id, actor, follow_activity)


def reject(*, id: str, actor: str, follow_activity: Mapping[str, Any]) -> Activity:
    return _answer("Reject", id, actor, follow_activity)


def note(
    *,
    id: str,
    actor: str,
    content_html: str,
    published: datetime,
    followers: str,
    url: str | None = None,
) -> dict[str, Any]:
    """A public Note (to: Public, cc: the author's followers)."""
    return {
        "id": id,
        "type": "Note",
        "attributedTo": actor,
        "content": content_html,
        "published": iso(published),
        "to": [PUBLIC],
        "cc": [followers],
        "url": url or id,
    }


def create(*, id: str, actor: str, obj: dict[str, Any]) -> Activity:
    """`obj` created; the activity carries the object's @context (its terms included)."""
    return {
        "@context": obj.get("@context", AS_CONTEXT),
        "id": id,
        "type": "Create",
        "actor": actor,
        "published": obj.get("published"),
        "to": obj.get("to", []),
        "cc": obj.get("cc", []),
        "object": embedded(obj),
    }


def object_id(activity: Mapping[str, Any]) -> str | None:
    """The id of an activity's object, embedded or by reference."""
    obj = activity.get("object")
    if isinstance(obj, dict):
        obj = obj.get("id")
    return obj if isinstance(obj, str) else None


def announce(
    *, id: str, actor: str, obj: Mapping[str, Any] | str, to: list[str], cc: list[str]
) -> Activity:
    """`actor` relays `obj` (an activity, FEP-1b12; or an object id, as Mastodon boosts)."""
    return {
        "@context": AS_CONTEXT,
        "id": id,
        "type": "Announce",
        "actor": actor,
        "object": obj if isinstance(obj, str) else embedded(obj),
        "to": to,
        "cc": cc,
    }


def update(
    *,
    id: str,
    actor: str,
    obj: dict[str, Any],
    to: list[str] | None = None,
    cc: list[str] | None = None,
) -> Activity:
    """`obj` changed; addressed like `obj` unless `to`/`cc` say otherwise (an actor
    document has no addressing of its own)."""
    return {
        "@context": obj.get("@context", AS_CONTEXT),
        "id": id,
        "type": "Update",
        "actor": actor,
        "object": embedded(obj),
        "to": obj.get("to", []) if to is None else to,
        "cc": obj.get("cc", []) if cc is None else cc,
    }


def delete(
    *, id: str, actor: str, tombstone: Tombstone, to: list[str], cc: list[str]
) -> Activity:
    return {
        "@context": AS_CONTEXT,
        "id": id,
        "type": "Delete",
        "actor": actor,
        "object": tombstone,
        "to": to,
        "cc": cc,
    }
