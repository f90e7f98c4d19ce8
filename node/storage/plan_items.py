"""Queries: the items of visions' plans."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import asyncpg

from node.storage.db import Connection, Pool


async def upsert(
    conn: Pool | Connection,
    *,
    item_id: str,
    vision_id: str,
    owner: str,
    fields: dict[str, Any],
    document: dict[str, Any],
    local_actor_id: int | None,
    when: datetime,
) -> bool:
    """Keep an item, or its new state; never another owner's item under the same id.
    False when the id is taken by another owner or another vision."""
    due = date.fromisoformat(fields["due"]) if fields.get("due") else None
    done = await conn.execute(
        """INSERT INTO plan_items (id, vision_id, owner, title, status, due, progress,
                                   document, local_actor_id, published_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)
           ON CONFLICT (id) DO UPDATE SET title = $4, status = $5, due = $6,
               progress = $7, document = $8, updated_at = $10
           WHERE plan_items.owner = $3 AND plan_items.vision_id = $2""",
        item_id,
        vision_id,
        owner,
        fields["title"],
        fields["status"],
        due,
        fields["progress"],
        document,
        local_actor_id,
        when,
    )
    return done.endswith(" 1")


async def get(conn: Pool | Connection, item_id: str) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(
        "SELECT * FROM plan_items WHERE id = $1", item_id
    )
    return row


async def of_vision(conn: Pool | Connection, vision_id: str) -> list[asyncpg.Record]:
    """The vision's plan: dated items by due date, then the rest by when taken on."""
    rows: list[asyncpg.Record] = await conn.fetch(
        """SELECT id, owner, title, status, due, progress, published_at, updated_at
           FROM plan_items WHERE vision_id = $1
           ORDER BY due NULLS LAST, published_at, id""",
        vision_id,
    )
    return rows
