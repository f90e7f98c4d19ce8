"""Export a local actor as ActivityStreams JSON: its document, outbox, objects, followers and
following (for the group's own records or a move to another node)."""

from __future__ import annotations

from typing import Any

from federation.vocab.actors import build_actor
from node.clock import utcnow
from node.domain.actors import actor_url, to_actor_info
from node.movement.wire import context
from node.storage import actors as store, follows, objects
from node.storage.db import Pool


async def export_actor(pool: Pool, *, base_url: str, name: str) -> dict[str, Any]:
    """Everything a local actor published and who follows it.

    Raises:
        LookupError: no such local actor.
    """
    actor = await store.local_by_name(pool, name)
    if actor is None:
        msg = f"no local actor {name!r}"
        raise LookupError(msg)
    me = actor_url(base_url, actor)
    graced = await store.graced_keys(pool, actor.id, utcnow())
    document = build_actor(to_actor_info(base_url, actor, graced))
    outbox = await objects.outbox_bodies(pool, actor.id)
    published = await objects.bodies_of(pool, actor.id)
    followers = await follows.accepted_followers(pool, actor.id)
    following = await follows.accepted_following(pool, actor.id)
    return {
        "@context": context(),
        "id": f"{me}#export",
        "type": "Collection",
        "published": utcnow().strftime("%Y-%m-%dT%H:%M:%SZ"),
        "actor": document,
        "outbox": {
            "id": f"{me}/outbox",
            "type": "OrderedCollection",
            "totalItems": len(outbox),
            "orderedItems": outbox,
        },
        "objects": published,
        "followers": {
            "id": f"{me}/followers",
            "type": "Collection",
            "totalItems": len(followers),
            "items": followers,
        },
        "following": {
            "id": f"{me}/following",
            "type": "Collection",
            "totalItems": len(following),
            "items": following,
        },
    }
