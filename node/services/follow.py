"""Follows: accept/reject incoming follows, undo, follow out, follower removal."""

from __future__ import annotations

import uuid
from typing import Any

import structlog

from federation.delivery.plan import Recipient, recipient_of
from federation.inbox import IncomingActivity
from federation.vocab import activities
from federation.vocab.read import id_of
from federation.vocab.shapes import Activity
from node.confederation import backfill
from node.domain.actors import FollowState, LocalActor, actor_url, local_name
from node.services import pledges
from node.services.context import Context
from node.services.publish import enqueue
from node.storage import actors as store, blocks, follows
from node.storage.db import Connection

log = structlog.get_logger(__name__)


def new_activity_id(base_url: str, actor: LocalActor) -> str:
    return f"{actor_url(base_url, actor)}/activities/{uuid.uuid4()}"


async def local_target(
    conn: Connection, base_url: str, url: str | None
) -> LocalActor | None:
    """The local actor a URL names (B/actors/{name}), if any."""
    name = None if url is None else local_name(base_url, url)
    if name is None:
        return None
    found = await store.local_by_name(conn, name)
    return None if found is None or found.kind == "instance" else found


async def follow_out(
    conn: Connection,
    *,
    base_url: str,
    local: LocalActor,
    target: str,
    recipient: Recipient,
) -> Activity:
    """`local` follows remote actor `target`: the follow is stored (pending until they
    accept) and a signed Follow queued, in the caller's transaction; returns the Follow."""
    follow = activities.follow(
        id=new_activity_id(base_url, local),
        actor=actor_url(base_url, local),
        target=target,
    )
    await follows.add_following(
        conn, local_actor_id=local.id, target=target, follow_id=follow["id"]
    )
    await enqueue(
        conn, base_url=base_url, signer=local, activity=follow, to=[recipient]
    )
    return follow


async def handle_follow(
    conn: Connection, act: IncomingActivity, ctx: Context, *, actor_doc: dict[str, Any]
) -> None:
    base_url = ctx.base_url
    target = await local_target(conn, base_url, act.object_id)
    if target is None:
        log.info("follow_ignored", reason="not a local actor", object=act.object_id)
        return
    recipient = recipient_of(actor_doc)
    if await blocks.is_blocked(conn, target.id, act.actor):
        reject = activities.reject(
            id=new_activity_id(base_url, target),
            actor=actor_url(base_url, target),
            follow_activity=act.raw,
        )
        await enqueue(
            conn, base_url=base_url, signer=target, activity=reject, to=[recipient]
        )
        log.info("follow_refused", target=target.name, reason="blocked")
        return
    state = (
        FollowState.PENDING
        if target.manually_approves_followers
        else FollowState.ACCEPTED
    )
    await follows.upsert_follower(
        conn,
        local_actor_id=target.id,
        follower=act.actor,
        follow_id=act.id,
        state=state,
        inbox=recipient.inbox,
        shared_inbox=recipient.shared_inbox,
    )
    if (
        await follows.follower_state(conn, local_actor_id=target.id, follower=act.actor)
        == FollowState.ACCEPTED
    ):
        accept = activities.accept(
            id=new_activity_id(base_url, target),
            actor=actor_url(base_url, target),
            follow_activity=act.raw,
        )
        await enqueue(
            conn, base_url=base_url, signer=target, activity=accept, to=[recipient]
        )
        await pledges.ask_new_follower(
            conn, base_url=base_url, group=target, follower_doc=actor_doc, now=ctx.now()
        )
        await backfill.to_member_replica(
            conn,
            base_url=base_url,
            member=target,
            follower_doc=actor_doc,
            inbox=recipient.shared_inbox or recipient.inbox,
            now=ctx.now(),
        )
    log.info("follow_received", target=target.name, follower=act.actor, state=state)


async def decide_pending(
    conn: Connection,
    *,
    base_url: str,
    target: LocalActor,
    follower: str,
    approve: bool,
    actor_doc: dict[str, Any],
) -> bool:
    """Approve or reject a pending follow (manually approving groups); sends Accept/Reject."""
    if (
        await follows.follower_state(conn, local_actor_id=target.id, follower=follower)
        != FollowState.PENDING
    ):
        return False
    follow_id = await follows.set_follower_state(
        conn, local_actor_id=target.id, follower=follower, state=FollowState.ACCEPTED
    )
    follow_activity = activities.follow(
        id=follow_id or f"{follower}#follow",
        actor=follower,
        target=actor_url(base_url, target),
    )
    build = activities.accept if approve else activities.reject
    reply = build(
        id=new_activity_id(base_url, target),
        actor=actor_url(base_url, target),
        follow_activity=follow_activity,
    )
    if not approve:
        await follows.remove_follower(conn, local_actor_id=target.id, follower=follower)
    await enqueue(
        conn,
        base_url=base_url,
        signer=target,
        activity=reply,
        to=[recipient_of(actor_doc)],
    )
    return True


async def handle_undo(conn: Connection, act: IncomingActivity, ctx: Context) -> None:
    base_url = ctx.base_url
    inner = act.raw.get("object")
    if not isinstance(inner, dict) or inner.get("type") != "Follow":
        log.info(
            "undo_ignored",
            object_type=inner.get("type") if isinstance(inner, dict) else None,
        )
        return
    if id_of(inner.get("actor")) != act.actor:
        log.info("undo_ignored", reason="undoing someone else's follow")
        return
    target = await local_target(conn, base_url, id_of(inner.get("object")))
    if target is not None and await follows.remove_follower(
        conn, local_actor_id=target.id, follower=act.actor
    ):
        log.info("follow_undone", target=target.name, follower=act.actor)


async def handle_accept_or_reject(conn: Connection, act: IncomingActivity) -> None:
    follow_id = id_of(act.raw.get("object"))
    if follow_id is None:
        return
    state = FollowState.ACCEPTED if act.type == "Accept" else FollowState.REJECTED
    if await follows.settle_following(
        conn, follow_id=follow_id, target=act.actor, state=state
    ):
        log.info("follow_settled", follow_id=follow_id, state=state)
