"""Queries: the node's assembly's signed records."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from node.storage.db import Connection, Pool


async def add(
    conn: Pool | Connection, *, record: dict[str, Any], actor: str, published: datetime
) -> None:
    await conn.execute(
        """INSERT INTO assembly_records (id, actor, record, published_at)
           VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING""",
        record["id"],
        actor,
        record,
        published,
    )


async def records(conn: Pool | Connection) -> list[dict[str, Any]]:
    """Every record, in (published, id) order."""
    rows = await conn.fetch(
        "SELECT record FROM assembly_records ORDER BY published_at, id"
    )
    return [dict(r["record"]) for r in rows]


async def lock(conn: Connection) -> None:
    """One writer at a time (a vote is checked against the fold it joins)."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext('assembly_records'))")
