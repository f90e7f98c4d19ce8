"""Queries: the stored inbox (idempotent insert by activity id, pending rows)."""

from __future__ import annotations

from typing import Any, TypeAlias

import asyncpg

from node.storage.db import Connection

Pool: TypeAlias = "asyncpg.Pool[Any]"


async def insert(
    pool: Pool, *, activity_id: str | None, actor: str, type_: str, body: dict[str, Any]
) -> int | None:
    """Store an activity; None when this activity id was stored before (a duplicate)."""
    row = await pool.fetchval(
        """WITH ins AS (INSERT INTO inbox (activity_id, actor, type, body) VALUES ($1, $2, $3, $4)
                        ON CONFLICT (activity_id) DO NOTHING RETURNING id)
           SELECT id FROM ins, pg_notify('inbox', '')""",
        activity_id,
        actor,
        type_,
        body,
    )
    return None if row is None else int(row)


MAX_ATTEMPTS = 5


async def claim_pending(conn: Connection, limit: int) -> list[asyncpg.Record]:
    """Lock up to `limit` due unprocessed rows for this transaction (other processors skip
    them). A row waits while an earlier due row of the same actor is unprocessed, so each
    actor's activities are applied one at a time, in the order they arrived."""
    return await conn.fetch(
        """SELECT id, activity_id, actor, type, body, attempts FROM inbox i
           WHERE i.processed_at IS NULL AND i.attempts < $2
             AND (i.retry_at IS NULL OR i.retry_at <= now())
             AND NOT EXISTS (
               SELECT 1 FROM inbox e
               WHERE e.actor = i.actor AND e.id < i.id AND e.processed_at IS NULL
                 AND e.attempts < $2 AND (e.retry_at IS NULL OR e.retry_at <= now()))
           ORDER BY i.id LIMIT $1 FOR UPDATE SKIP LOCKED""",
        limit,
        MAX_ATTEMPTS,
    )


def retry_delay(attempts: int) -> float:
    """Seconds to wait after the `attempts`-th failure: 30 s, 2 min, 8 min, 32 min."""
    return 30.0 * float(4 ** max(attempts - 1, 0))


async def mark_processed(conn: Connection, row_id: int) -> None:
    await conn.execute(
        "UPDATE inbox SET processed_at = now(), error = NULL WHERE id = $1", row_id
    )


async def mark_failed(pool: Pool, row_id: int, error: str, attempts: int) -> None:
    """Record the `attempts`-th failure and when the row is due again (after MAX_ATTEMPTS,
    never: it stays, with its error, for an admin to see)."""
    await pool.execute(
        """UPDATE inbox SET attempts = attempts + 1, error = $2,
             retry_at = now() + make_interval(secs => $3) WHERE id = $1""",
        row_id,
        error[:2000],
        retry_delay(attempts),
    )
