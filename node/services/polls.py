"""Votes on local proposals (FEP-9967 / Mastodon polls): a `Create{Note}` whose `name` is an
option and whose `inReplyTo` is the Question. Counted once per actor (one option for
`oneOf`, each option once for `anyOf`), ignored after `endTime`; the tallies go out as an
`Update` of the Question. Who voted is never served."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg
import structlog

from federation.inbox import IncomingActivity
from node.clock import utcnow
from node.services import movement
from node.storage import actors as store
from node.storage.db import Connection

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
    return bool(
        await conn.fetchval(
            "SELECT 1 FROM objects WHERE id = $1 AND kind = 'proposal' AND deleted_at IS NULL",
            in_reply_to,
        )
    )


async def record_vote(
    conn: Connection, act: IncomingActivity, obj: dict[str, Any], *, base_url: str
) -> None:
    question_id = str(obj["inReplyTo"])
    row = await conn.fetchrow(
        "SELECT fields FROM objects WHERE id = $1 FOR UPDATE", question_id
    )
    if row is None:
        return
    fields: dict[str, Any] = row["fields"]
    choice = obj["name"]
    now = utcnow()
    if now >= datetime.fromisoformat(fields["endTime"]):
        log.info("vote_ignored", question=question_id, reason="the poll is closed")
        return
    if choice not in fields["options"]:
        log.info("vote_ignored", question=question_id, reason="not an option")
        return
    # oneOf: the first vote stands; anyOf: each option once per voter
    done = await conn.execute(
        """INSERT INTO poll_votes (question_id, voter, choices, activity_id) VALUES ($1, $2, ARRAY[$3], $4)
           ON CONFLICT (question_id, voter) DO UPDATE SET choices = array_append(poll_votes.choices, $3)
           WHERE $5 AND NOT $3 = ANY(poll_votes.choices)""",
        question_id,
        act.actor,
        choice,
        act.id,
        bool(fields.get("multiple")),
    )
    if done.endswith(" 0"):
        log.info("vote_ignored", question=question_id, reason="already voted")
        return
    await republish_proposal(conn, base_url=base_url, object_id=question_id, now=now)
    log.info("vote_counted", question=question_id)


async def republish_proposal(
    conn: Connection, *, base_url: str, object_id: str, now: datetime
) -> None:
    """Send a proposal's current tallies (and `closed`, once past `endTime`) as an Update,
    inside the caller's transaction."""
    row = await conn.fetchrow(
        """SELECT o.fields, o.published_at, o.clusters, o.public, a.name
           FROM objects o JOIN local_actors a ON a.id = o.local_actor_id
           WHERE o.id = $1 AND o.kind = 'proposal' AND o.deleted_at IS NULL""",
        object_id,
    )
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
    )


async def close_due_polls(
    pool: asyncpg.Pool[Any], *, base_url: str, now: datetime
) -> int:
    """Publish the final Update (with `closed`) of every proposal whose `endTime` has passed;
    each is closed once. Returns how many were closed."""
    closed = 0
    async with pool.acquire() as conn:
        while True:
            async with conn.transaction():
                object_id = await conn.fetchval(
                    """SELECT id FROM objects
                       WHERE kind = 'proposal' AND deleted_at IS NULL AND closed_at IS NULL
                         AND (fields->>'endTime')::timestamptz <= $1
                       ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED""",
                    now,
                )
                if object_id is None:
                    return closed
                await republish_proposal(
                    conn, base_url=base_url, object_id=object_id, now=now
                )
                await conn.execute(
                    "UPDATE objects SET closed_at = $2 WHERE id = $1", object_id, now
                )
            closed += 1
            log.info("poll_closed", object_id=object_id)


async def next_poll_end(pool: asyncpg.Pool[Any]) -> datetime | None:
    """When the next open proposal closes."""
    end: datetime | None = await pool.fetchval(
        """SELECT min((fields->>'endTime')::timestamptz) FROM objects
           WHERE kind = 'proposal' AND deleted_at IS NULL AND closed_at IS NULL"""
    )
    return end
