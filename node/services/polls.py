"""Votes on local proposals (FEP-9967 / Mastodon polls): a `Create{Note}` whose `name` is an
option and whose `inReplyTo` is the Question. Counted once per actor (one option for
`oneOf`, each option once for `anyOf`), ignored after `endTime`; the tallies go out as an
`Update` of the Question. Who voted is never served."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import structlog

from federation.inbox import IncomingActivity
from node.services import movement
from node.services.context import Context
from node.storage import actors as store, objects, polls as poll_votes
from node.storage.db import Connection, Pool

log = structlog.get_logger(__name__)


async def is_vote(
    conn: Connection, obj: dict[str, Any], in_reply_to: str | None
) -> bool:
    if (
        in_reply_to is None
        or not isinstance(obj.get("name"), str)
        or obj.get("content")
    ):
        return False
    return await objects.is_live_proposal(conn, in_reply_to)


async def record_vote(
    conn: Connection, act: IncomingActivity, obj: dict[str, Any], ctx: Context
) -> None:
    base_url = ctx.base_url
    question_id = str(obj["inReplyTo"])
    fields = await objects.lock_fields(conn, question_id)
    if fields is None:
        return
    choice = obj["name"]
    now = ctx.now()
    if now >= datetime.fromisoformat(fields["endTime"]):
        log.info("vote_ignored", question=question_id, reason="the poll is closed")
        return
    if choice not in fields["options"]:
        log.info("vote_ignored", question=question_id, reason="not an option")
        return
    # oneOf: the first vote stands; anyOf: each option once per voter
    if not await poll_votes.add(
        conn,
        question_id=question_id,
        voter=act.actor,
        choice=choice,
        activity_id=act.id,
        multiple=bool(fields.get("multiple")),
    ):
        log.info("vote_ignored", question=question_id, reason="already voted")
        return
    await republish_proposal(conn, base_url=base_url, object_id=question_id, now=now)
    log.info("vote_counted", question=question_id)


async def republish_proposal(
    conn: Connection, *, base_url: str, object_id: str, now: datetime
) -> None:
    """Send a proposal's current tallies (and `closed`, once past `endTime`) as an Update,
    inside the caller's transaction."""
    row = await objects.live_proposal(conn, object_id)
    actor = None if row is None else await store.local_by_name(conn, row["name"])
    if row is None or actor is None:
        msg = f"no local proposal {object_id}"
        raise movement.ObjectNotFoundError(msg)
    await movement.republish(
        conn,
        base_url=base_url,
        actor=actor,
        object_id=object_id,
        kind="proposal",
        data=row["fields"],
        clusters=await movement.clusters_named(conn, list(row["clusters"])),
        published=row["published_at"],
        public=row["public"],
        now=now,
        seen_in=list(row["clusters"]),
        edit=False,
    )


async def close_due_polls(pool: Pool, *, base_url: str, now: datetime) -> int:
    """Publish the final Update (with `closed`) of every proposal whose `endTime` has passed;
    each is closed once. Returns how many were closed."""
    closed = 0
    async with pool.acquire() as conn:
        while True:
            async with conn.transaction():
                object_id = await objects.claim_due_proposal(conn, now)
                if object_id is None:
                    return closed
                await republish_proposal(
                    conn, base_url=base_url, object_id=object_id, now=now
                )
                await objects.mark_closed(conn, object_id, now)
            closed += 1
            log.info("poll_closed", object_id=object_id)


async def next_poll_end(pool: Pool) -> datetime | None:
    """When the next open proposal closes."""
    return await objects.next_proposal_end(pool)
