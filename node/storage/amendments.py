"""Queries: amendments proposed to visions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from node.storage.db import Connection, Pool


async def insert(
    conn: Pool | Connection,
    *,
    amendment_id: str,
    object_id: str,
    proposer: str,
    author: str,
    changes: dict[str, Any],
    statement: str,
    document: dict[str, Any],
    local_actor_id: int | None,
) -> bool:
    done = await conn.execute(
        """INSERT INTO amendments (id, object_id, proposer, author, changes, statement,
                                   document, local_actor_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING""",
        amendment_id,
        object_id,
        proposer,
        author,
        changes,
        statement,
        document,
        local_actor_id,
    )
    return done == "INSERT 0 1"


async def get(
    conn: Pool | Connection, amendment_id: str, *, lock: bool = False
) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(
        "SELECT * FROM amendments WHERE id = $1" + (" FOR UPDATE" if lock else ""),
        amendment_id,
    )
    return row


async def settle(
    conn: Pool | Connection, amendment_id: str, state: str, when: datetime
) -> bool:
    """An open amendment decided; False when it was not open."""
    done = await conn.execute(
        """UPDATE amendments SET state = $2, decided_at = $3
           WHERE id = $1 AND state = 'open'""",
        amendment_id,
        state,
        when,
    )
    return done == "UPDATE 1"


async def of_object(conn: Pool | Connection, object_id: str) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        """SELECT id, proposer, changes, statement, state, decided_at, created_at
           FROM amendments WHERE object_id = $1 ORDER BY created_at, id""",
        object_id,
    )
    return rows
