"""Aggregation: confederation replicas announce their members' public movement objects.

Each replica announces an object once, whatever path it came by (its own node publishing
it, a member node's Announce, a nested confederation's Announce), and only when the charter
relays its kind and clusters. Announces are never announced again: a replica relays the
original object (fetched from its own origin unless its origin sent it), so no loop can form.
When the origin deletes an object, every local actor that announced it takes its Announce
back (Undo), and so does a replica that hears of it only from a member (after checking with
the origin that the object is gone).
"""

from __future__ import annotations

from typing import Any

import structlog

from federation.fetch.client import FetchStatusError
from federation.inbox import IncomingActivity
from federation.origin import same_origin
from federation.vocab import activities
from federation.vocab.read import id_of
from node.confederation import cluster_actors
from node.confederation.records import read_charter
from node.domain.actors import LocalActor, actor_url
from node.movement.incoming import public_movement
from node.services.context import Context
from node.services.publish import announce, send_activity
from node.storage import (
    actors as store,
    confederations as cstore,
    inbox,
    objects,
    remote_objects,
)
from node.storage.db import Connection

log = structlog.get_logger(__name__)
MAX_DEPTH = 8  # nesting levels on one node; the announced-once rule already stops loops


async def relay(
    conn: Connection,
    *,
    base_url: str,
    object_id: str,
    kind: str | None,
    clusters: list[str],
    via: str,
    depth: int = 0,
) -> int:
    """Announce `object_id` on every local replica that counts `via` as a member and whose
    charter relays it, once per replica; then the same for replicas that count those
    replicas as members (nesting on this node). Returns the deliveries queued."""
    queued = 0
    if depth > MAX_DEPTH:
        return queued
    for conf in await cstore.replicas_relaying(conn, via):
        replica_id, charter = conf.replica_actor_id, read_charter(conf.charter)
        if replica_id is None or not charter.relays(kind, clusters):
            continue
        if not await cstore.mark_announced(conn, replica_id, object_id):
            continue
        replica = await store.local_by_id(conn, replica_id)
        if replica is None:
            continue
        queued += await announce(
            conn, base_url=base_url, relayer=replica, obj=object_id
        )
        log.info("confederation_relayed", replica=replica.name, object_id=object_id)
        queued += await _announce_in_clusters(
            conn,
            base_url=base_url,
            conf_id=conf.id,
            replica=replica,
            object_id=object_id,
            clusters=charter.relayed_clusters(clusters),
        )
        queued += await relay(
            conn,
            base_url=base_url,
            object_id=object_id,
            kind=kind,
            clusters=clusters,
            via=actor_url(base_url, replica),
            depth=depth + 1,
        )
    return queued


async def _announce_in_clusters(
    conn: Connection,
    *,
    base_url: str,
    conf_id: str,
    replica: LocalActor,
    object_id: str,
    clusters: list[str],
) -> int:
    """Each of the replica's cluster actors for `clusters` announces the object once."""
    queued = 0
    made = await cluster_actors.ensure(
        conn, confederation=conf_id, replica=replica, clusters=clusters
    )
    for actor in made.values():
        if await cstore.mark_announced(conn, actor.id, object_id):
            queued += await announce(
                conn, base_url=base_url, relayer=actor, obj=object_id
            )
    return queued


def _announced_object(raw: dict[str, Any]) -> tuple[Any, Any]:
    """(the object an Announce relays, the @context to read it in): the object of an
    Announce{Create}, the object itself, or None for an Announce of an Announce."""
    obj, ctx = raw.get("object"), raw.get("@context")
    if isinstance(obj, dict) and obj.get("type") == "Create":
        ctx = obj.get("@context", ctx)
        obj = obj.get("object")
    if isinstance(obj, dict) and obj.get("type") == "Announce":
        return None, ctx
    return obj, ctx


async def handle_announce(
    conn: Connection, act: IncomingActivity, ctx: Context
) -> None:
    """A member's Announce reaching a replica of ours: relay the original object once."""
    base_url, remote = ctx.base_url, ctx.remote
    replicas = await cstore.replicas_relaying(conn, act.actor)
    if not replicas:
        return
    obj, ctx = _announced_object(act.raw)
    object_id = id_of(obj)
    if object_id is None or object_id.startswith(base_url + "/"):
        return  # nothing to relay, or ours (relayed when it was published)
    pending = [
        c
        for c in replicas
        if c.replica_actor_id is not None
        and not await cstore.is_announced(conn, c.replica_actor_id, object_id)
    ]
    if not pending:
        return
    known = await remote_objects.known_movement(conn, object_id)
    if known is not None:  # checked when stored (another path brought it first)
        await relay(
            conn,
            base_url=base_url,
            object_id=object_id,
            kind=known["kind"],
            clusters=list(known["clusters"]),
            via=act.actor,
        )
        return
    if isinstance(obj, dict) and same_origin(object_id, act.actor):
        document: dict[str, Any] = obj  # its own origin sent it
    elif await _brought_later(conn, act.actor, object_id):
        return  # a later activity of the same actor carries the object: no fetch needed
    else:
        document = (await remote.fetch_object(object_id)).document
        ctx = document.get("@context", ctx)
    kept = public_movement(document, object_id, ctx)
    if isinstance(kept, str):
        log.info("relay_ignored", object_id=object_id, reason=kept)
        return
    author, received = kept
    await remote_objects.insert(
        conn,
        object_id=object_id,
        actor=author,
        type_=document.get("type"),
        in_reply_to=id_of(document.get("inReplyTo")),
        received=received,
    )
    await relay(
        conn,
        base_url=base_url,
        object_id=object_id,
        kind=received.kind,
        clusters=received.clusters,
        via=act.actor,
    )


async def _brought_later(conn: Connection, actor: str, object_id: str) -> bool:
    """Whether `actor`'s inbox holds an unprocessed Announce{Create} of `object_id` from the
    object's own origin: a member node sends the Announce{object id} Mastodon boosts and the
    FEP-1b12 Announce{Create}; whichever arrives first, the object is read once, unfetched.
    (Each actor's activities are applied in order, so that row comes after this one.)"""
    if not same_origin(object_id, actor):
        return False
    return await inbox.holds_announce_create(conn, actor, object_id)


async def withdraw(conn: Connection, *, base_url: str, object_id: str) -> int:
    """Each local actor that announced `object_id` (replicas, their cluster actors) sends
    its followers an Undo of that Announce, so their servers drop the boost; the object stays
    marked announced, so it is never announced again. Returns the deliveries queued."""
    rows = await objects.relayed_announces(conn, object_id)
    queued = 0
    for row in rows:
        relayer = await store.local_by_id(conn, row["local_actor_id"])
        if relayer is None:
            continue
        announced = row["body"]
        undo = activities.undo(
            id=f"{announced['id']}/undo",
            actor=actor_url(base_url, relayer),
            obj=announced,
        ) | {"to": announced.get("to", []), "cc": announced.get("cc", [])}
        queued += await send_activity(
            conn,
            base_url=base_url,
            actor=relayer,
            activity=undo,
            public=True,
            followers_of=[relayer.id],
        )
        log.info("confederation_withdrawn", relayer=relayer.name, object_id=object_id)
    return queued


async def handle_undo_announce(
    conn: Connection,
    act: IncomingActivity,
    inner: dict[str, Any],
    ctx: Context,
) -> None:
    """A member takes back its Announce of an object our replicas relayed. The Undo itself
    proves nothing about the object, so its origin is asked: gone (404, 410, a Tombstone)
    means deleted here too, and our announces are withdrawn; there (the member only took
    back its boost), nothing changes."""
    base_url, remote = ctx.base_url, ctx.remote
    object_id = id_of(inner.get("object"))
    if (
        object_id is None
        or id_of(inner.get("actor")) != act.actor
        or object_id.startswith(base_url + "/")
        or same_origin(object_id, act.actor)  # the origin itself says so with a Delete
        or not await cstore.replicas_relaying(conn, act.actor)
    ):
        return
    if not await remote_objects.is_relayed(conn, object_id):
        return
    try:
        gone = (await remote.fetch_object(object_id)).document.get(
            "type"
        ) == "Tombstone"
    except FetchStatusError as exc:
        if exc.status not in (404, 410):
            raise  # the origin is in trouble: try again later
        gone = True
    if not gone:
        log.info(
            "withdrawal_ignored", object_id=object_id, reason="still at its origin"
        )
        return
    await delete_remote(conn, base_url=base_url, object_id=object_id)


async def delete_remote(
    conn: Connection, *, base_url: str, object_id: str, author: str | None = None
) -> bool:
    """A remote object (by `author`, when given) is gone: a Tombstone here, and the
    announces of our replicas withdrawn. False when there was nothing to delete."""
    if not await remote_objects.tombstone(conn, object_id, author):
        return False
    await withdraw(conn, base_url=base_url, object_id=object_id)
    return True
