"""Queries: pledges to our calls (`pledges`), the direct Questions that collect them
(`pledge_questions`), and reminders (`pledge_reminders`). Who pledged is read only for
the call's own group."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from node.storage.db import Connection, Pool


async def set_answer(
    conn: Connection,
    *,
    call_id: str,
    actor: str,
    answer: str | None,
    via: str,
    activity_id: str | None,
) -> None:
    """`actor`'s answer to `call_id` (None: withdrawn); a pledge with nothing left goes."""
    await conn.execute(
        """INSERT INTO pledges (call_id, actor, answer, via, activity_id)
           VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (call_id, actor) DO UPDATE SET answer = $3, via = $4,
               activity_id = $5, updated_at = now()""",
        call_id,
        actor,
        answer,
        via,
        activity_id,
    )
    await _drop_empty(conn, call_id, actor)


async def add_help(
    conn: Connection,
    *,
    call_id: str,
    actor: str,
    help_kind: str,
    activity_id: str | None,
) -> bool:
    """One more kind of help `actor` offers to `call_id`; False when it was there already."""
    done = await conn.execute(
        """INSERT INTO pledges (call_id, actor, help, via, activity_id)
           VALUES ($1, $2, ARRAY[$3], 'question', $4)
           ON CONFLICT (call_id, actor) DO UPDATE
               SET help = array_append(pledges.help, $3), updated_at = now()
               WHERE NOT $3 = ANY(pledges.help)""",
        call_id,
        actor,
        help_kind,
        activity_id,
    )
    return not done.endswith(" 0")


async def _drop_empty(conn: Connection, call_id: str, actor: str) -> None:
    await conn.execute(
        """DELETE FROM pledges WHERE call_id = $1 AND actor = $2
             AND answer IS NULL AND cardinality(help) = 0""",
        call_id,
        actor,
    )


async def remove_actor(conn: Connection, *, actor: str, call_ids: list[str]) -> int:
    done = await conn.execute(
        "DELETE FROM pledges WHERE actor = $1 AND call_id = ANY($2::text[])",
        actor,
        call_ids,
    )
    return int(done.rsplit(" ", 1)[1])


async def counts(pool: Pool, call_id: str) -> dict[str, Any]:
    """Going / maybe / no, and the help offered by kind (never who)."""
    answers = {
        r["answer"]: r["n"]
        for r in await pool.fetch(
            """SELECT answer, count(*) AS n FROM pledges
               WHERE call_id = $1 AND answer IS NOT NULL GROUP BY answer""",
            call_id,
        )
    }
    helping = {
        r["kind"]: r["n"]
        for r in await pool.fetch(
            """SELECT h AS kind, count(*) AS n FROM pledges, unnest(help) h
               WHERE call_id = $1 GROUP BY h ORDER BY h""",
            call_id,
        )
    }
    return {
        "going": answers.get("going", 0),
        "maybe": answers.get("maybe", 0),
        "no": answers.get("no", 0),
        "help": helping,
    }


async def of_call(pool: Pool, call_id: str) -> list[asyncpg.Record]:
    """Who pledged what, with their actor documents when known: for the group only."""
    return await pool.fetch(
        """SELECT p.actor, p.answer, p.help, p.via, p.updated_at, a.document
             FROM pledges p LEFT JOIN remote_actors a ON a.uri = p.actor
            WHERE p.call_id = $1 ORDER BY p.updated_at DESC, p.actor""",
        call_id,
    )


async def to_tell(conn: Connection, call_id: str) -> list[asyncpg.Record]:
    """Everyone who said they come (or may) or offered help, with where to write them."""
    return await conn.fetch(
        """SELECT p.actor, a.inbox, a.shared_inbox, a.preferred_username
             FROM pledges p JOIN remote_actors a ON a.uri = p.actor
            WHERE p.call_id = $1
              AND (p.answer IN ('going', 'maybe') OR cardinality(p.help) > 0)
            ORDER BY p.actor""",
        call_id,
    )


# --- questions ------------------------------------------------------------------------


async def add_question(
    conn: Connection,
    *,
    question_id: str,
    call_id: str,
    recipient: str,
    ask: str,
    options: dict[str, str],
) -> bool:
    """False when `recipient` was asked this about `call_id` already."""
    done = await conn.execute(
        """INSERT INTO pledge_questions (question_id, call_id, recipient, ask, options)
           VALUES ($1, $2, $3, $4, $5) ON CONFLICT (call_id, recipient, ask) DO NOTHING""",
        question_id,
        call_id,
        recipient,
        ask,
        options,
    )
    return done != "INSERT 0 0"


async def question(conn: Connection, question_id: str) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(
        "SELECT call_id, recipient, ask, options FROM pledge_questions WHERE question_id = $1",
        question_id,
    )
    return row


async def is_question(conn: Connection, object_id: str) -> bool:
    return bool(
        await conn.fetchval(
            "SELECT 1 FROM pledge_questions WHERE question_id = $1", object_id
        )
    )


# --- reminders ------------------------------------------------------------------------


async def set_reminder(
    conn: Connection, call_id: str, remind_at: datetime | None
) -> None:
    if remind_at is None:
        await conn.execute("DELETE FROM pledge_reminders WHERE call_id = $1", call_id)
        return
    await conn.execute(
        """INSERT INTO pledge_reminders (call_id, remind_at) VALUES ($1, $2)
           ON CONFLICT (call_id) DO UPDATE SET remind_at = $2, sent_at = NULL""",
        call_id,
        remind_at,
    )


async def reminder(pool: Pool, call_id: str) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await pool.fetchrow(
        "SELECT remind_at, sent_at FROM pledge_reminders WHERE call_id = $1", call_id
    )
    return row


async def claim_due_reminder(conn: Connection, now: datetime) -> str | None:
    """One due reminder, marked sent in the caller's transaction (skipping locked ones)."""
    value: str | None = await conn.fetchval(
        """UPDATE pledge_reminders SET sent_at = $1
            WHERE call_id = (SELECT call_id FROM pledge_reminders
                              WHERE sent_at IS NULL AND remind_at <= $1
                              ORDER BY remind_at LIMIT 1 FOR UPDATE SKIP LOCKED)
           RETURNING call_id""",
        now,
    )
    return value


async def next_reminder(pool: Pool) -> datetime | None:
    value: datetime | None = await pool.fetchval(
        "SELECT min(remind_at) FROM pledge_reminders WHERE sent_at IS NULL"
    )
    return value


# --- calls ----------------------------------------------------------------------------


async def live_call(conn: Connection, object_id: str | None) -> asyncpg.Record | None:
    """One of our live calls to action, by id (any group's)."""
    if object_id is None:
        return None
    row: asyncpg.Record | None = await conn.fetchrow(
        """SELECT id, local_actor_id, fields, body, public FROM objects
           WHERE id = $1 AND kind = 'call' AND deleted_at IS NULL""",
        object_id,
    )
    return row


async def upcoming_calls(
    conn: Connection, local_actor_id: int, now: datetime, *, limit: int
) -> list[asyncpg.Record]:
    """A group's live calls with a start still ahead, soonest first."""
    return await conn.fetch(
        """SELECT id, local_actor_id, fields, body, public FROM objects
           WHERE local_actor_id = $1 AND kind = 'call' AND deleted_at IS NULL
             AND fields ? 'startTime' AND (fields->>'startTime')::timestamptz > $2
           ORDER BY (fields->>'startTime')::timestamptz LIMIT $3""",
        local_actor_id,
        now,
        limit,
    )
