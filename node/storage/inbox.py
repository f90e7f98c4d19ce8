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


async def claim_pending(conn: Connection, limit: int) -> list[asyncpg.Record]:
    """Lock up to `limit` unprocessed rows for this transaction (other processors skip them)."""
    return await conn.fetch(
        """SELECT id, activity_id, actor, type, body, attempts FROM inbox
           WHERE processed_at IS NULL AND attempts < 5
           ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED""",
        limit,
    )


async def mark_processed(conn: Connection, row_id: int) -> None:
    await conn.execute(
        "UPDATE inbox SET processed_at = now(), error = NULL WHERE id = $1", row_id
    )


async def mark_failed(pool: Pool, row_id: int, error: str) -> None:
    await pool.execute(
        "UPDATE inbox SET attempts = attempts + 1, error = $2 WHERE id = $1",
        row_id,
        error[:2000],
    )


async def count(pool: Pool, *, processed: bool | None = None) -> int:
    if processed is None:
        return int(await pool.fetchval("SELECT count(*) FROM inbox"))
    clause = "processed_at IS NOT NULL" if processed else "processed_at IS NULL"
    return int(await pool.fetchval(f"SELECT count(*) FROM inbox WHERE {clause}"))
