"""Moderation by a group of one remote actor: block (its follow refused and ended, its
replies hidden, its reactions, votes and pledges no longer counted), unblock, report it to
its own server (a `Flag` from our instance actor, as Mastodon sends), and reports others
send about the group (`Flag`s naming it or its objects, filed in its inbox)."""

from __future__ import annotations

import uuid
from typing import Any

import structlog

from federation.delivery.plan import recipient_of
from federation.inbox import IncomingActivity
from federation.vocab import activities
from federation.vocab.read import as_list, id_of
from node.domain.actors import INSTANCE_NAME, LocalActor, actor_url, local_name
from node.services import group_inbox, polls
from node.services.follow import new_activity_id
from node.services.publish import enqueue
from node.services.remote import RemoteActors
from node.storage import (
    actors as store,
    blocks,
    follows,
    objects,
    pledges as pledge_store,
    polls as poll_store,
)
from node.storage.db import Connection, Pool

log = structlog.get_logger(__name__)
MAX_REPORTED = 20
MAX_COMMENT = 1000


async def is_blocked(conn: Connection, local_actor_id: int, actor: str) -> bool:
    return await blocks.is_blocked(conn, local_actor_id, actor)


async def block(
    pool: Pool, *, base_url: str, group: LocalActor, actor: str, now: Any
) -> dict[str, int]:
    """Block `actor` for `group`; what was undone, by count."""
    async with pool.acquire() as conn, conn.transaction():
        await blocks.add(conn, group.id, actor)
        follow_id = await follows.follower_follow_id(conn, group.id, actor)
        removed = await follows.remove_follower(
            conn, local_actor_id=group.id, follower=actor
        )
        doc = await store.remote_actor(conn, actor)
        if removed and doc is not None:
            # their server learns the follow ended (no Block is sent: the blocked
            # actor is not told why)
            reject = activities.reject(
                id=new_activity_id(base_url, group),
                actor=actor_url(base_url, group),
                follow_activity=activities.follow(
                    id=follow_id or f"{actor}#follow",
                    actor=actor,
                    target=actor_url(base_url, group),
                ),
            )
            await enqueue(
                conn,
                base_url=base_url,
                signer=group,
                activity=reject,
                to=[recipient_of(doc)],
            )
        ids = await blocks.object_ids(conn, group.id)
        voted = await blocks.voted_on(conn, actor=actor, object_ids=ids)
        await poll_store.remove_votes_of(conn, voter=actor, question_ids=voted)
        for question_id in voted:
            if await objects.is_live_proposal(conn, question_id):
                await polls.republish_proposal(
                    conn, base_url=base_url, object_id=question_id, now=now
                )
        undone = {
            "followers_removed": int(removed),
            "replies_hidden": await blocks.hide_replies(
                conn, actor=actor, object_ids=ids
            ),
            "reactions_removed": await blocks.remove_reactions(
                conn, actor=actor, object_ids=ids
            ),
            "votes_removed": len(voted),
            "pledges_removed": await pledge_store.remove_actor(
                conn, actor=actor, call_ids=ids
            ),
        }
        await blocks.mark_inbox_read(conn, group.id, actor)
    log.info("actor_blocked", group=group.name, actor=actor, **undone)
    return undone


async def unblock(pool: Pool, *, group: LocalActor, actor: str) -> bool:
    """False when `actor` was not blocked. Hidden replies stay hidden (show them one by
    one from the inbox)."""
    async with pool.acquire() as conn:
        return await blocks.remove(conn, group.id, actor)


async def report(
    pool: Pool,
    *,
    base_url: str,
    remote: RemoteActors,
    actor: str,
    object_ids: list[str],
    comment: str,
) -> dict[str, Any]:
    """A `Flag` of `actor` (and of its objects) to `actor`'s own server, from our instance
    actor (so no organiser is named); returns it.

    Raises:
        FederationError: the actor's server cannot be reached.
    """
    doc = await store.remote_actor(pool, actor) or await remote.fetch_actor(actor)
    instance = await store.local_by_name(pool, INSTANCE_NAME)
    if instance is None:
        msg = "the instance actor is not made yet"
        raise LookupError(msg)
    me = actor_url(base_url, instance)
    flag = {
        "@context": activities.AS_CONTEXT,
        "id": f"{me}/flags/{uuid.uuid4()}",
        "type": "Flag",
        "actor": me,
        "content": comment,
        "object": [actor, *object_ids[:MAX_REPORTED]],
        "to": [actor],
    }
    async with pool.acquire() as conn, conn.transaction():
        await enqueue(
            conn,
            base_url=base_url,
            signer=instance,
            activity=flag,
            to=[recipient_of(doc)],
        )
    log.info("actor_reported", actor=actor, objects=len(object_ids))
    return flag


async def handle_flag(conn: Connection, act: IncomingActivity, *, base_url: str) -> int:
    """A report naming local actors or their objects: filed in each one's inbox."""
    named = [i for i in (id_of(o) for o in as_list(act.raw.get("object"))) if i]
    concerned: dict[int, str | None] = {}
    for target in named[:MAX_REPORTED]:
        name = local_name(base_url, target)
        if name is not None:
            local = await store.local_by_name(conn, name)
            if local is not None and local.kind != "instance":
                concerned.setdefault(local.id, None)
            continue
        owner = await objects.live_audience(conn, target)
        if owner is not None:
            concerned[owner["local_actor_id"]] = (
                concerned.get(owner["local_actor_id"]) or target
            )
    flag = {
        "id": act.id,
        "type": "Flag",
        "actor": act.actor,
        "content": str(act.raw.get("content") or "")[:MAX_COMMENT],
        "object": named[:MAX_REPORTED],
    }
    filed = 0
    for local_actor_id, about in concerned.items():
        filed += await group_inbox.record_report(
            conn, local_actor_id=local_actor_id, flag=flag, actor=act.actor, about=about
        )
    log.info("report_received", reporter=act.actor, filed=filed)
    return filed
