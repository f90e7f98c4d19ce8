"""Relays (pure): how to subscribe to one, and what a relay may bring.

Two kinds are in use. A LitePub relay (Pleroma, Akkoma, activityrelay) is an actor: a
server follows it, it follows back, and it Announces what its subscribers send it. A
Mastodon-style relay is known by its inbox: Mastodon POSTs a Follow whose object is the
Public collection there, and the relay forwards its subscribers' activities as they are
(signed by the relay, not by their author). activityrelay speaks both.

A relay is a messenger, never a source: what it brings is read again from its origin.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from federation.origin import same_origin
from federation.vocab.activities import PUBLIC
from federation.vocab.actors import ACTOR_TYPES

# what we send to relays, and what a relay may forward on another actor's behalf
RELAYED_TYPES = frozenset({"Create", "Update", "Delete"})
# what a relay may bring: its own Announces, and its subscribers' activities forwarded
BROUGHT_TYPES = frozenset({"Announce", *RELAYED_TYPES})


@dataclass(frozen=True, slots=True)
class Subscription:
    """How to follow the relay at `url`: `target` is the Follow's object, sent to `inbox`;
    `actor` is the relay's actor when known before it answers."""

    target: str
    inbox: str
    actor: str | None


def subscription(url: str, document: dict[str, Any] | None) -> Subscription:
    """LitePub when `url` is the relay's actor (its document says so); Mastodon-style
    (the Public collection, POSTed to `url`) when `url` is an inbox or no actor at all."""
    if (
        document is not None
        and document.get("id") == url
        and document.get("type") in ACTOR_TYPES
        and isinstance(document.get("inbox"), str)
    ):
        endpoints = document.get("endpoints")
        shared = endpoints.get("sharedInbox") if isinstance(endpoints, dict) else None
        inbox = shared if isinstance(shared, str) and same_origin(shared, url) else None
        return Subscription(url, inbox or document["inbox"], url)
    return Subscription(PUBLIC, url, None)


def relayed_id(activity_id: str, relay: str) -> str:
    """The inbox key of an activity a relay forwarded: its own id stays free for the copy its
    author may send us directly (which must not be taken for a duplicate of the relay's)."""
    return f"{activity_id}#relayed-by={relay}"
