"""Remote replies and mentions (Create/Update/Delete), Likes and Announces, and Move."""

from __future__ import annotations

from typing import Any

import structlog

from federation.delivery.plan import recipient_of
from federation.inbox import IncomingActivity, as_list, id_of
from federation.origin import same_origin
from node.confederation import relay
from node.movement.incoming import read_object
from node.services import polls
from node.services.remote import RemoteActors
from node.storage import follows
from node.storage.db import Connection

log = structlog.get_logger(__name__)
NOTE_TYPES = frozenset({"Note", "Article", "Question", "Page", "Event"})


async def _is_local_object(conn: Connection, object_id: str | None) -> bool:
    return object_id is not None and bool(
        await conn.fetchval(
            "SELECT 1 FROM objects WHERE id = $1 AND deleted_at IS NULL", object_id
        )
    )


def _mentions_local(obj: dict[str, Any], base_url: str) -> bool:
    return any(
        isinstance(tag, dict)
        and tag.get("type") == "Mention"
        and str(tag.get("href", "")).startswith(base_url + "/actors/")
        for tag in as_list(obj.get("tag"))
    )


async def _embedded_or_fetched(
    act: IncomingActivity, remote: RemoteActors
) -> dict[str, Any] | None:
    """The activity's object: embedded when it is the actor's own, else fetched from its origin."""
    obj = act.raw.get("object")
    if (
        isinstance(obj, dict)
        and isinstance(obj.get("id"), str)
        and same_origin(obj["id"], act.actor)
    ):
        return obj
    if act.object_id is None or not same_origin(act.object_id, act.actor):
        return None
    return (await remote.fetch_object(act.object_id)).document


async def handle_create(
    conn: Connection, act: IncomingActivity, *, base_url: str, remote: RemoteActors
) -> None:
    obj = await _embedded_or_fetched(act, remote)
    if obj is None or obj.get("type") not in NOTE_TYPES:
        log.info("create_ignored", reason="not an object of the actor's own")
        return
    if id_of(obj.get("attributedTo")) != act.actor:
        log.info("create_ignored", reason="attributedTo is not the actor")
        return
    in_reply_to = id_of(obj.get("inReplyTo"))
    if await polls.is_vote(conn, obj, in_reply_to):
        await polls.record_vote(conn, act, obj, base_url=base_url)
        return
    if not (
        await _is_local_object(conn, in_reply_to)
        or _mentions_local(obj, base_url)
        or await _followed(conn, act.actor)
    ):
        log.info(
            "create_ignored",
            reason="not a reply, a mention, or from an actor we follow",
        )
        return
    received = read_object(obj, act.raw.get("@context"))
    await conn.execute(
        """INSERT INTO remote_objects (id, actor, type, in_reply_to, body, kind, fields, clusters, public)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING""",
        obj["id"],
        act.actor,
        obj["type"],
        in_reply_to,
        received.body,
        received.kind,
        received.fields,
        received.clusters,
        received.public,
    )
    log.info(
        "remote_object_stored",
        object_id=obj["id"],
        in_reply_to=in_reply_to,
        kind=received.kind,
    )


async def _followed(conn: Connection, actor: str) -> bool:
    """Does a local actor follow `actor` (accepted)? Then its posts are ours to keep."""
    return bool(
        await conn.fetchval(
            "SELECT 1 FROM following WHERE target = $1 AND state = 'accepted' LIMIT 1",
            actor,
        )
    )


async def handle_update(conn: Connection, act: IncomingActivity) -> None:
    obj = act.raw.get("object")
    if not isinstance(obj, dict) or not isinstance(obj.get("id"), str):
        return
    if id_of(obj.get("attributedTo")) not in (None, act.actor):
        log.info("update_ignored", object_id=obj["id"], reason="not its author")
        return
    received = read_object(obj, act.raw.get("@context"))
    done = await conn.execute(
        """UPDATE remote_objects SET body = $3, kind = $4, fields = $5, clusters = $6,
             public = $7, updated_at = now()
           WHERE id = $1 AND actor = $2 AND deleted_at IS NULL""",
        obj["id"],
        act.actor,
        received.body,
        received.kind,
        received.fields,
        received.clusters,
        received.public,
    )
    if done == "UPDATE 0":
        log.info(
            "update_ignored",
            object_id=obj["id"],
            reason="unknown object or not its author",
        )


async def handle_delete(
    conn: Connection, act: IncomingActivity, *, base_url: str
) -> None:
    """Delete of a remote object by its author: a Tombstone here, and the announces of our
    replicas withdrawn."""
    if act.object_id is None:
        return
    deleted = await relay.delete_remote(
        conn, base_url=base_url, object_id=act.object_id, author=act.actor
    )
    log.info(
        "remote_object_deleted" if deleted else "delete_ignored",
        object_id=act.object_id,
    )


async def handle_reaction(conn: Connection, act: IncomingActivity) -> None:
    """Like/Announce of a local object: counted once per actor (our own copy is the truth)."""
    if not await _is_local_object(conn, act.object_id):
        log.info("reaction_ignored", type=act.type, object_id=act.object_id)
        return
    await conn.execute(
        """INSERT INTO reactions (object_id, actor, type, activity_id) VALUES ($1, $2, $3, $4)
           ON CONFLICT DO NOTHING""",
        act.object_id,
        act.actor,
        act.type,
        act.id,
    )


async def undo_reaction(
    conn: Connection, act: IncomingActivity, inner: dict[str, Any]
) -> None:
    if id_of(inner.get("actor")) != act.actor:
        return
    await conn.execute(
        "DELETE FROM reactions WHERE object_id = $1 AND actor = $2 AND type = $3",
        id_of(inner.get("object")),
        act.actor,
        inner.get("type"),
    )


async def handle_move(
    conn: Connection, act: IncomingActivity, *, remote: RemoteActors
) -> None:
    """Move of a follower: the follow moves when the new actor lists the old one in alsoKnownAs."""
    target = id_of(act.raw.get("target"))
    if act.object_id != act.actor or target is None:
        return
    new = await remote.fetch_actor(target)
    if act.actor not in as_list(new.get("alsoKnownAs")):
        log.info(
            "move_refused",
            old=act.actor,
            new=target,
            reason="alsoKnownAs does not confirm",
        )
        return
    recipient = recipient_of(new)
    rows = await conn.fetch(
        "SELECT local_actor_id FROM followers WHERE follower = $1", act.actor
    )
    for row in rows:
        await conn.execute(
            """INSERT INTO followers (local_actor_id, follower, state, inbox, shared_inbox)
               VALUES ($1, $2, 'accepted', $3, $4) ON CONFLICT (local_actor_id, follower) DO NOTHING""",
            row["local_actor_id"],
            target,
            recipient.inbox,
            recipient.shared_inbox,
        )
    await conn.execute("DELETE FROM followers WHERE follower = $1", act.actor)
    log.info("follower_moved", old=act.actor, new=target, follows=len(rows))


async def handle_actor_deleted(
    conn: Connection, act: IncomingActivity, *, base_url: str
) -> None:
    """Delete of the actor itself: its follows, reactions and stored content go (and the
    announces of our replicas with it)."""
    removed = await follows.remove_follower_everywhere(conn, act.actor)
    await conn.execute("DELETE FROM remote_actors WHERE uri = $1", act.actor)
    await conn.execute("DELETE FROM reactions WHERE actor = $1", act.actor)
    deleted = await conn.fetch(
        """UPDATE remote_objects SET body = jsonb_build_object('id', id, 'type', 'Tombstone'),
             deleted_at = now() WHERE actor = $1 AND deleted_at IS NULL RETURNING id""",
        act.actor,
    )
    for row in deleted:
        await relay.withdraw(conn, base_url=base_url, object_id=row["id"])
    log.info("remote_actor_deleted", actor=act.actor, follows_removed=removed)
