"""Queries: a local actor's inbox of what came back (`group_inbox`) — replies, mentions,
direct messages and reports — and the hiding of replies on `remote_objects`."""

from __future__ import annotations

from typing import Any

import asyncpg

from node.storage.db import Connection, Pool


async def add(
    conn: Connection,
    *,
    local_actor_id: int,
    kind: str,
    remote_id: str,
    actor: str,
    about: str | None,
    body: dict[str, Any] | None = None,
) -> bool:
    """One item per local actor and remote object (a second copy changes nothing)."""
    done = await conn.execute(
        """INSERT INTO group_inbox (local_actor_id, kind, remote_id, actor, about, body)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (local_actor_id, remote_id) DO NOTHING""",
        local_actor_id,
        kind,
        remote_id,
        actor,
        about,
        body,
    )
    return done != "INSERT 0 0"


_ITEM = """i.id, i.kind, i.remote_id, i.actor, i.about, i.body AS report, i.received_at,
           i.read_at, r.body, r.public, r.hidden_at, r.deleted_at,
           a.document AS actor_document, o.fields AS about_fields"""
_FROM = """FROM group_inbox i
           LEFT JOIN remote_objects r ON r.id = i.remote_id
           LEFT JOIN remote_actors a ON a.uri = i.actor
           LEFT JOIN objects o ON o.id = i.about"""


async def listing(
    pool: Pool,
    local_actor_id: int,
    *,
    kind: str | None,
    about: str | None,
    limit: int,
    offset: int,
) -> list[asyncpg.Record]:
    """Unread first, then newest first; an item whose object its author deleted is gone."""
    return await pool.fetch(
        f"""SELECT {_ITEM} {_FROM}
            WHERE i.local_actor_id = $1 AND ($2::text IS NULL OR i.kind = $2)
              AND ($3::text IS NULL OR i.about = $3)
              AND (i.kind = 'report' OR (r.id IS NOT NULL AND r.deleted_at IS NULL))
            ORDER BY i.read_at IS NOT NULL, i.received_at DESC, i.id DESC
            LIMIT $4 OFFSET $5""",
        local_actor_id,
        kind,
        about,
        limit,
        offset,
    )


async def unread_count(pool: Pool, local_actor_id: int) -> int:
    return int(
        await pool.fetchval(
            f"""SELECT count(*) {_FROM} WHERE i.local_actor_id = $1 AND i.read_at IS NULL
                 AND (i.kind = 'report' OR (r.id IS NOT NULL AND r.deleted_at IS NULL))""",
            local_actor_id,
        )
    )


async def item(pool: Pool, local_actor_id: int, item_id: int) -> asyncpg.Record | None:
    """One item of `local_actor_id`'s (None for anyone else's)."""
    row: asyncpg.Record | None = await pool.fetchrow(
        f"SELECT {_ITEM} {_FROM} WHERE i.local_actor_id = $1 AND i.id = $2",
        local_actor_id,
        item_id,
    )
    return row


async def mark_read(conn: Connection, local_actor_id: int, item_id: int) -> bool:
    done = await conn.execute(
        """UPDATE group_inbox SET read_at = coalesce(read_at, now())
           WHERE local_actor_id = $1 AND id = $2""",
        local_actor_id,
        item_id,
    )
    return done != "UPDATE 0"


async def set_hidden(
    conn: Connection, *, local_actor_id: int, item_id: int, hidden: bool
) -> bool:
    """Hide (or show again) the reply behind one of `local_actor_id`'s reply items."""
    done = await conn.execute(
        """UPDATE remote_objects r
              SET hidden_at = CASE WHEN $3 THEN coalesce(r.hidden_at, now()) END
             FROM group_inbox i
            WHERE i.local_actor_id = $1 AND i.id = $2 AND i.kind = 'reply'
              AND r.id = i.remote_id""",
        local_actor_id,
        item_id,
        hidden,
    )
    return done != "UPDATE 0"


async def public_replies(
    pool: Pool, object_id: str, *, limit: int, offset: int
) -> list[asyncpg.Record]:
    """The shown replies to `object_id` (public, not hidden, not deleted), oldest first,
    with their authors' documents when we have them."""
    return await pool.fetch(
        """SELECT r.id, r.actor, r.body, r.received_at, a.document AS actor_document
             FROM remote_objects r LEFT JOIN remote_actors a ON a.uri = r.actor
            WHERE r.in_reply_to = $1 AND r.public AND r.hidden_at IS NULL
              AND r.deleted_at IS NULL
            ORDER BY r.received_at, r.id LIMIT $2 OFFSET $3""",
        object_id,
        limit,
        offset,
    )


async def has_written(pool: Pool, local_actor_id: int, actor: str) -> bool:
    """Whether `actor` wrote to (or about) `local_actor_id`: someone it may answer."""
    return bool(
        await pool.fetchval(
            "SELECT 1 FROM group_inbox WHERE local_actor_id = $1 AND actor = $2 LIMIT 1",
            local_actor_id,
            actor,
        )
    )
