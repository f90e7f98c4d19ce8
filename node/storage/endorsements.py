"""Queries: endorsements (signed Notes under visions and calls)."""

from __future__ import annotations

from typing import Any

import asyncpg

from node.storage.db import Connection, Pool


async def upsert(
    conn: Pool | Connection,
    *,
    endorsement_id: str,
    object_id: str,
    endorser: str,
    signature: bool,
    statement: str,
    document: dict[str, Any],
    local_actor_id: int | None,
) -> str | None:
    """Keep an endorsement (a newer one of the same actor for the same object replaces
    it); returns the id it replaced, if any."""
    replaced: str | None = await conn.fetchval(
        "DELETE FROM endorsements WHERE object_id = $1 AND endorser = $2 RETURNING id",
        object_id,
        endorser,
    )
    await conn.execute(
        """INSERT INTO endorsements (id, object_id, endorser, signature, statement,
                                     document, local_actor_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (id) DO NOTHING""",
        endorsement_id,
        object_id,
        endorser,
        signature,
        statement,
        document,
        local_actor_id,
    )
    return replaced


async def remove(conn: Pool | Connection, endorsement_id: str, endorser: str) -> bool:
    """Withdraw: only its own endorser can."""
    done = await conn.execute(
        "DELETE FROM endorsements WHERE id = $1 AND endorser = $2",
        endorsement_id,
        endorser,
    )
    return done != "DELETE 0"


async def own(
    conn: Pool | Connection, local_actor_id: int, object_id: str
) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(
        "SELECT id, document FROM endorsements WHERE local_actor_id = $1 AND object_id = $2",
        local_actor_id,
        object_id,
    )
    return row


async def of_object(conn: Pool | Connection, object_id: str) -> list[asyncpg.Record]:
    """The endorsements of `object_id`, oldest first."""
    rows: list[asyncpg.Record] = await conn.fetch(
        """SELECT id, endorser, signature, statement, document, created_at
           FROM endorsements WHERE object_id = $1 ORDER BY created_at, id""",
        object_id,
    )
    return rows
