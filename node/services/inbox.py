"""Process stored inbox rows: route each activity to its handler, exactly once."""

from __future__ import annotations

from typing import Any

import asyncpg
import structlog

from federation import retry
from federation.inbox import IncomingActivity
from federation.vocab.read import id_of
from node.confederation import joining, relay
from node.confederation.records import RECORD_TYPES
from node.services import (
    actor_blocks,
    amendments,
    endorsements,
    follow,
    interactions,
    planning,
    pledges,
    relays,
)
from node.services.context import Context
from node.services.remote import RemoteActors
from node.storage import actors as store, inbox
from node.storage.db import CONNECTION_LOST, Connection

log = structlog.get_logger(__name__)


async def _actor_doc(
    conn: Connection, remote: RemoteActors, actor: str
) -> dict[str, Any]:
    cached = await store.remote_actor(conn, actor)
    return cached if cached is not None else await remote.fetch_actor(actor)


async def route(
    conn: Connection,
    act: IncomingActivity,
    ctx: Context,
) -> None:
    """Apply one activity; unknown types are logged and ignored."""
    remote = ctx.remote
    if await relays.handle(conn, act, ctx):
        return
    if act.type in RECORD_TYPES and await joining.receive_record(conn, act, ctx):
        return
    if act.type in pledges.EVENT_TYPES and await pledges.handle_event_activity(
        conn, act, base_url=ctx.base_url, now=ctx.now()
    ):
        return
    match act.type:
        case "Follow":
            await follow.handle_follow(
                conn, act, ctx, actor_doc=await _actor_doc(conn, remote, act.actor)
            )
        case "Undo":
            inner = act.raw.get("object")
            if isinstance(inner, dict) and await pledges.undo_event_activity(
                conn, act, inner
            ):
                pass
            elif isinstance(inner, dict) and inner.get("type") in ("Like", "Announce"):
                await interactions.undo_reaction(conn, act, inner)
                if inner.get("type") == "Announce":
                    await relay.handle_undo_announce(conn, act, inner, ctx)
            else:
                await follow.handle_undo(conn, act, ctx)
        case "Create":
            if not (
                await endorsements.receive(conn, act, ctx)
                or await amendments.receive(conn, act, ctx)
                or await planning.receive(conn, act, ctx)
            ):
                await interactions.handle_create(conn, act, ctx)
        case "Update" if act.object_id == act.actor:
            # a profile or key change: read the actor again from its origin (a rotated-out
            # key stops verifying here)
            await remote.fetch_actor(act.actor)
        case "Update":
            if not await planning.receive(conn, act, ctx):
                await interactions.handle_update(conn, act)
        case "Like":
            await interactions.handle_reaction(conn, act)
        case "Announce":
            await interactions.handle_reaction(conn, act)
            await relay.handle_announce(conn, act, ctx)
        case "Join":
            await joining.handle_join(conn, act, ctx)
        case "Flag":
            await actor_blocks.handle_flag(conn, act, base_url=ctx.base_url)
        case "Move":
            await interactions.handle_move(conn, act, ctx)
        case "Accept" | "Reject":
            if not await amendments.receive_decision(conn, act, ctx):
                await follow.handle_accept_or_reject(conn, act)
        case "Delete" if act.object_id == act.actor:
            await interactions.handle_actor_deleted(conn, act, ctx)
        case "Delete":
            await endorsements.receive_delete(conn, act)
            await interactions.handle_delete(conn, act, ctx)
        case _:
            log.info("activity_ignored", type=act.type, activity_id=act.id)


async def process_pending(
    pool: asyncpg.Pool[Any], ctx: Context, *, limit: int = 50
) -> int:
    """Process up to `limit` stored rows, one transaction each; returns how many were handled."""
    handled, floor = 0, 0  # each call scans the pending rows from their start once
    for _ in range(limit):
        failed: tuple[int, str, int] | None = None
        async with pool.acquire() as conn:
            async with conn.transaction():
                row, floor = await inbox.claim_pending(conn, floor)
                if row is None:
                    return handled
                structlog.contextvars.bind_contextvars(
                    inbox_id=row["id"], activity_id=row["activity_id"]
                )
                body = row["body"]
                act = IncomingActivity(
                    row["activity_id"],
                    row["type"],
                    row["actor"],
                    id_of(body.get("object")),
                    body,
                )
                try:
                    # a savepoint: a failing handler leaves no half-work
                    async with conn.transaction():
                        await route(conn, act, ctx)
                        await inbox.mark_processed(conn, row["id"])
                except CONNECTION_LOST:
                    # not the activity's fault, and its failure could not be recorded
                    # either: the row stays due, the loop backs off
                    raise
                except Exception as exc:  # noqa: BLE001 - a poison activity never stalls the rest
                    # in the claiming transaction: no other processor sees it due meanwhile
                    failed = (
                        row["id"],
                        f"{exc.__class__.__name__}: {exc}",
                        row["attempts"] + 1,
                    )
                    await inbox.mark_failed(conn, *failed)
            if failed is not None:
                log.warning(
                    "inbox_processing_failed",
                    inbox_id=failed[0],
                    error=failed[1],
                    attempt=failed[2],
                    retry_in=(
                        "never"
                        if retry.INBOX.exhausted(failed[2])
                        else retry.INBOX.delay(failed[2])
                    ),
                )
        handled += 1
    return handled
