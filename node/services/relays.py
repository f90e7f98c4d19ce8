"""Relays: the instance actor subscribes to relays, our public activities go to them, and
what they bring is read again from its origin before it is kept.

What a relay brings is kept only when it is a public movement object whose author is on its
own origin (a movement node is no general timeline: the relay's other traffic is dropped).
"""

from __future__ import annotations

import uuid
from typing import Any

import structlog

from federation import relays as rules
from federation.delivery.plan import Recipient, recipient_of
from federation.fetch.client import FetchStatusError
from federation.inbox import IncomingActivity
from federation.origin import same_origin
from federation.vocab import activities
from federation.vocab.read import id_of
from node.confederation import relay as confederation
from node.domain.actors import INSTANCE_NAME, LocalActor, actor_url
from node.movement.incoming import public_movement
from node.services.context import Context
from node.services.publish import enqueue
from node.storage import actors as store, relays, remote_objects
from node.storage.db import Connection, Pool
from node.storage.relays import Relay

log = structlog.get_logger(__name__)
GONE = frozenset({404, 410})


class RelayError(Exception):
    """A relay subscription that cannot be made or undone."""


async def subscribe(
    conn: Connection,
    *,
    base_url: str,
    instance: LocalActor,
    url: str,
    document: dict[str, Any] | None,
) -> rules.Subscription:
    """The instance actor follows the relay at `url` (`document`: what `url` answered, if
    it was a JSON-LD document); the subscription is pending until the relay accepts."""
    sub = rules.subscription(url, document)
    me = actor_url(base_url, instance)
    follow = activities.follow(
        id=f"{me}/relays/{uuid.uuid4()}", actor=me, target=sub.target
    )
    if not await relays.add(
        conn, url=url, inbox=sub.inbox, actor=sub.actor, follow_id=follow["id"]
    ):
        msg = f"already subscribed to {url}"
        raise RelayError(msg)
    await enqueue(
        conn,
        base_url=base_url,
        signer=instance,
        activity=follow,
        to=[Recipient(sub.actor or url, sub.inbox, sub.inbox)],
    )
    log.info("relay_subscribed", url=url, style="litepub" if sub.actor else "mastodon")
    return sub


async def unsubscribe(
    conn: Connection, *, base_url: str, instance: LocalActor, url: str
) -> Relay:
    """Undo the instance actor's Follow of the relay at `url` and forget it."""
    gone = await relays.remove(conn, url)
    if gone is None:
        msg = f"not subscribed to {url}"
        raise RelayError(msg)
    me = actor_url(base_url, instance)
    follow = activities.follow(
        id=gone.follow_id,
        actor=me,
        target=gone.actor if gone.litepub and gone.actor else activities.PUBLIC,
    )
    undo = activities.undo(id=f"{gone.follow_id}/undo", actor=me, obj=follow)
    await enqueue(
        conn,
        base_url=base_url,
        signer=instance,
        activity=undo,
        to=[Recipient(gone.actor or url, gone.inbox, gone.inbox)],
    )
    log.info("relay_unsubscribed", url=url)
    return gone


async def forwarded_by(pool: Pool, signer: str, activity: dict[str, Any]) -> bool:
    """Whether `signer` is a relay that accepted us, forwarding another actor's activity."""
    if activity.get("type") not in rules.BROUGHT_TYPES:
        return False
    found = await relays.by_actor(pool, signer)
    return found is not None and found.state == "accepted"


async def handle(conn: Connection, act: IncomingActivity, ctx: Context) -> bool:
    """Relay traffic: its answer to our Follow, its Follow back, and what it brings.
    False when `act` is not from a relay we subscribe to."""
    if act.type in ("Accept", "Reject") and act.object_id is not None:
        sub = await relays.by_follow(conn, act.object_id)
        if sub is None:
            return False
        if not same_origin(act.actor, sub.inbox) or sub.actor not in (None, act.actor):
            log.info("relay_answer_ignored", url=sub.url, actor=act.actor)
            return True
        await relays.settle(
            conn,
            follow_id=sub.follow_id,
            actor=act.actor,
            accepted=act.type == "Accept",
        )
        log.info("relay_settled", url=sub.url, state=act.type)
        return True
    sub = await relays.by_actor(conn, act.actor)
    if sub is None:
        return False
    match act.type:
        case "Follow":
            await _follow_back(conn, act, ctx)
        case "Announce" | "Create" | "Update" if sub.state == "accepted":
            await _bring(conn, act, ctx, sub)
        case "Delete" if sub.state == "accepted":
            await _gone(conn, act, ctx)
        case _:
            log.info("relay_activity_ignored", type=act.type, relay=act.actor)
    return True


async def _follow_back(conn: Connection, act: IncomingActivity, ctx: Context) -> None:
    """A LitePub relay follows the instance actor back: accepted (it sends us nothing it
    would not send anyway; the follow is what it expects)."""
    instance = await store.local_by_name(conn, INSTANCE_NAME)
    if instance is None or act.object_id != actor_url(ctx.base_url, instance):
        log.info("relay_follow_ignored", object=act.object_id)
        return
    doc = await store.remote_actor(conn, act.actor) or await ctx.remote.fetch_actor(
        act.actor
    )
    me = actor_url(ctx.base_url, instance)
    accept = activities.accept(
        id=f"{me}/relays/{uuid.uuid4()}", actor=me, follow_activity=act.raw
    )
    await enqueue(
        conn,
        base_url=ctx.base_url,
        signer=instance,
        activity=accept,
        to=[recipient_of(doc)],
    )
    log.info("relay_follow_accepted", relay=act.actor)


async def _bring(
    conn: Connection, act: IncomingActivity, ctx: Context, sub: Relay
) -> None:
    """An object a relay brings (its Announce, or a forwarded Create or Update): read from
    its origin, kept when it is a public movement object."""
    object_id = act.object_id
    if object_id is None or object_id.startswith(ctx.base_url + "/"):
        return
    try:
        document = (await ctx.remote.fetch_object(object_id)).document
    except FetchStatusError as exc:
        if not 400 <= exc.status < 500:
            raise  # the origin may answer later: the row is tried again
        log.info("relay_ignored", object_id=object_id, reason=str(exc))
        return
    kept = public_movement(document, object_id, document.get("@context"))
    if isinstance(kept, str):
        log.info("relay_ignored", object_id=object_id, reason=kept)
        return
    author, received = kept
    if await remote_objects.insert(
        conn,
        object_id=object_id,
        actor=author,
        type_=document.get("type"),
        in_reply_to=id_of(document.get("inReplyTo")),
        received=received,
        via_relay=sub.actor,
    ):
        log.info("relay_object_stored", object_id=object_id, kind=received.kind)
    elif await remote_objects.update(
        conn, object_id=object_id, actor=author, received=received
    ):
        log.info("relay_object_updated", object_id=object_id)


async def _gone(conn: Connection, act: IncomingActivity, ctx: Context) -> None:
    """A forwarded Delete: believed when the origin says the object is gone."""
    object_id = act.object_id
    if object_id is None:
        return
    try:
        await ctx.remote.fetch_object(object_id)
    except FetchStatusError as exc:
        if exc.status in GONE:
            await confederation.delete_remote(
                conn, base_url=ctx.base_url, object_id=object_id
            )
            log.info("relay_object_deleted", object_id=object_id)
        return
    log.info("relay_delete_ignored", object_id=object_id, reason="still served")


async def subscriptions(pool: Pool) -> list[Relay]:
    return await relays.all_relays(pool)
