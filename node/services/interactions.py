"""Remote replies and mentions (Create/Update/Delete), Likes and Announces, and Move."""

from __future__ import annotations

from typing import Any

import structlog

from federation import limits
from federation.audience import Audience, Reader, can_read
from federation.delivery.plan import recipient_of
from federation.inbox import IncomingActivity
from federation.origin import same_origin
from federation.vocab.read import as_list, id_of
from node.confederation import relay
from node.movement.incoming import read_object
from node.services import group_inbox, pledges, polls
from node.services.context import Context
from node.services.remote import RemoteActors
from node.storage import (
    actors as store,
    blocks,
    follows,
    objects,
    remote_objects,
)
from node.storage.db import Connection

log = structlog.get_logger(__name__)
NOTE_TYPES = frozenset({"Note", "Article", "Question", "Page", "Event"})


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


async def handle_create(conn: Connection, act: IncomingActivity, ctx: Context) -> None:
    base_url, remote = ctx.base_url, ctx.remote
    obj = await _embedded_or_fetched(act, remote)
    if obj is None or obj.get("type") not in NOTE_TYPES:
        log.info("create_ignored", reason="not an object of the actor's own")
        return
    if id_of(obj.get("attributedTo")) != act.actor:
        log.info("create_ignored", reason="attributedTo is not the actor")
        return
    if (too_big := limits.oversized(obj)) is not None:
        log.info("create_ignored", object_id=obj.get("id"), reason=too_big)
        return
    in_reply_to = id_of(obj.get("inReplyTo"))
    if await polls.is_vote(conn, obj, in_reply_to):
        await polls.record_vote(conn, act, obj, ctx)
        return
    if await pledges.is_answer(conn, obj, in_reply_to):
        await pledges.record_answer(conn, act, obj, now=ctx.now())
        return
    if not (
        await objects.is_live(conn, in_reply_to)
        or group_inbox.addressed_names(obj, base_url)
        or await follows.is_followed(conn, act.actor)
    ):
        log.info(
            "create_ignored",
            reason="not a reply, a mention, or from an actor we follow",
        )
        return
    received = read_object(obj, act.raw.get("@context"))
    if await remote_objects.insert(
        conn,
        object_id=obj["id"],
        actor=act.actor,
        type_=obj["type"],
        in_reply_to=in_reply_to,
        received=received,
    ):
        await group_inbox.record(
            conn, base_url=base_url, obj=obj, actor=act.actor, in_reply_to=in_reply_to
        )
    log.info(
        "remote_object_stored",
        object_id=obj["id"],
        in_reply_to=in_reply_to,
        kind=received.kind,
    )


async def handle_update(conn: Connection, act: IncomingActivity) -> None:
    obj = act.raw.get("object")
    if not isinstance(obj, dict) or not isinstance(obj.get("id"), str):
        return
    if id_of(obj.get("attributedTo")) not in (None, act.actor):
        log.info("update_ignored", object_id=obj["id"], reason="not its author")
        return
    if (too_big := limits.oversized(obj)) is not None:
        log.info("update_ignored", object_id=obj["id"], reason=too_big)
        return
    received = read_object(obj, act.raw.get("@context"))
    if not await remote_objects.update(
        conn, object_id=obj["id"], actor=act.actor, received=received
    ):
        log.info(
            "update_ignored",
            object_id=obj["id"],
            reason="unknown object or not its author",
        )


async def handle_delete(conn: Connection, act: IncomingActivity, ctx: Context) -> None:
    """Delete of a remote object by its author: a Tombstone here, and the announces of our
    replicas withdrawn."""
    base_url = ctx.base_url
    if act.object_id is None:
        return
    deleted = await relay.delete_remote(
        conn, base_url=base_url, object_id=act.object_id, author=act.actor
    )
    if not deleted and same_origin(act.object_id, act.actor):
        # a Delete before its Create: the tombstone makes the late Create change nothing
        await remote_objects.insert_tombstone(
            conn, object_id=act.object_id, actor=act.actor
        )
    log.info(
        "remote_object_deleted" if deleted else "delete_ignored",
        object_id=act.object_id,
    )


async def handle_reaction(conn: Connection, act: IncomingActivity) -> None:
    """Like/Announce of a local object: counted once per actor (our own copy is the truth),
    and only from someone the object is for (a followers-only one: its followers)."""
    target = (
        None
        if act.object_id is None
        else await objects.live_audience(conn, act.object_id)
    )
    if target is None:
        log.info("reaction_ignored", type=act.type, object_id=act.object_id)
        return
    if await blocks.is_blocked(conn, target["local_actor_id"], act.actor):
        log.info("reaction_ignored", type=act.type, reason="blocked by the group")
        return
    audience = Audience.of(dict(target["body"]))
    is_follower = not audience.public and await follows.is_accepted_follower(
        conn, target["local_actor_id"], act.actor
    )
    if not can_read(audience, Reader(act.actor, follows_author=is_follower)):
        log.info("reaction_ignored", type=act.type, reason="not for this actor")
        return
    await remote_objects.add_reaction(
        conn,
        object_id=str(act.object_id),
        actor=act.actor,
        type_=act.type,
        activity_id=act.id,
    )


async def undo_reaction(
    conn: Connection, act: IncomingActivity, inner: dict[str, Any]
) -> None:
    if id_of(inner.get("actor")) != act.actor:
        return
    await remote_objects.remove_reaction(
        conn,
        object_id=id_of(inner.get("object")),
        actor=act.actor,
        type_=inner.get("type"),
    )


async def handle_move(conn: Connection, act: IncomingActivity, ctx: Context) -> None:
    """Move of a follower: the follow moves when the new actor lists the old one in alsoKnownAs."""
    remote = ctx.remote
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
    moved = await follows.move_follower(
        conn, old=act.actor, new=target, recipient=recipient_of(new)
    )
    log.info("follower_moved", old=act.actor, new=target, follows=moved)


async def handle_actor_deleted(
    conn: Connection, act: IncomingActivity, ctx: Context
) -> None:
    """Delete of the actor itself: its follows, reactions and stored content go (and the
    announces of our replicas with it)."""
    base_url = ctx.base_url
    removed = await follows.remove_follower_everywhere(conn, act.actor)
    await store.forget_remote(conn, act.actor)
    await remote_objects.remove_reactions_of(conn, act.actor)
    for object_id in await remote_objects.tombstone_all_of(conn, act.actor):
        await relay.withdraw(conn, base_url=base_url, object_id=object_id)
    log.info("remote_actor_deleted", actor=act.actor, follows_removed=removed)
