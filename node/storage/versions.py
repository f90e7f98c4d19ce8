"""Queries: earlier versions of an object (`object_versions`)."""

from __future__ import annotations

import asyncpg

from node.storage.db import Connection, Pool


async def keep(conn: Connection, object_id: str) -> None:
    """Keep the object as it is now as its next earlier version (before an edit)."""
    await conn.execute(
        """INSERT INTO object_versions (object_id, version, fields, body, made_at)
           SELECT o.id,
                  coalesce((SELECT max(version) FROM object_versions WHERE object_id = o.id), 0) + 1,
                  o.fields, o.body, coalesce(o.updated_at, o.published_at)
           FROM objects o WHERE o.id = $1 AND o.fields IS NOT NULL""",
        object_id,
    )


async def earlier(conn: Pool | Connection, object_id: str) -> list[asyncpg.Record]:
    """The object's earlier versions, oldest first (version, fields, made_at)."""
    rows: list[asyncpg.Record] = await conn.fetch(
        """SELECT version, fields, made_at FROM object_versions
           WHERE object_id = $1 ORDER BY version""",
        object_id,
    )
    return rows


async def one(
    conn: Pool | Connection, object_id: str, version: int
) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(
        """SELECT version, fields, body, made_at FROM object_versions
           WHERE object_id = $1 AND version = $2""",
        object_id,
        version,
    )
    return row
