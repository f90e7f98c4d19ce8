"""Queries: a group's blocks of remote actors (`actor_blocks`), and undoing what a blocked
actor left on the group's objects."""

from __future__ import annotations

import asyncpg

from node.storage.db import Connection, Pool


async def add(conn: Connection, local_actor_id: int, actor: str) -> bool:
    done = await conn.execute(
        """INSERT INTO actor_blocks (local_actor_id, actor) VALUES ($1, $2)
           ON CONFLICT DO NOTHING""",
        local_actor_id,
        actor,
    )
    return done != "INSERT 0 0"


async def remove(conn: Connection, local_actor_id: int, actor: str) -> bool:
    done = await conn.execute(
        "DELETE FROM actor_blocks WHERE local_actor_id = $1 AND actor = $2",
        local_actor_id,
        actor,
    )
    return done != "DELETE 0"


async def is_blocked(conn: Connection | Pool, local_actor_id: int, actor: str) -> bool:
    return bool(
        await conn.fetchval(
            "SELECT 1 FROM actor_blocks WHERE local_actor_id = $1 AND actor = $2",
            local_actor_id,
            actor,
        )
    )


async def of(pool: Pool, local_actor_id: int) -> list[asyncpg.Record]:
    return await pool.fetch(
        """SELECT b.actor, b.created_at, a.document FROM actor_blocks b
             LEFT JOIN remote_actors a ON a.uri = b.actor
            WHERE b.local_actor_id = $1 ORDER BY b.created_at DESC""",
        local_actor_id,
    )


async def object_ids(conn: Connection, local_actor_id: int) -> list[str]:
    """Every object of the group's (its reactions, votes and pledges live on these)."""
    return [
        r["id"]
        for r in await conn.fetch(
            "SELECT id FROM objects WHERE local_actor_id = $1", local_actor_id
        )
    ]


async def hide_replies(conn: Connection, *, actor: str, object_ids: list[str]) -> int:
    done = await conn.execute(
        """UPDATE remote_objects SET hidden_at = coalesce(hidden_at, now())
           WHERE actor = $1 AND in_reply_to = ANY($2::text[])""",
        actor,
        object_ids,
    )
    return int(done.rsplit(" ", 1)[1])


async def remove_reactions(
    conn: Connection, *, actor: str, object_ids: list[str]
) -> int:
    done = await conn.execute(
        "DELETE FROM reactions WHERE actor = $1 AND object_id = ANY($2::text[])",
        actor,
        object_ids,
    )
    return int(done.rsplit(" ", 1)[1])


async def voted_on(conn: Connection, *, actor: str, object_ids: list[str]) -> list[str]:
    return [
        r["question_id"]
        for r in await conn.fetch(
            "SELECT question_id FROM poll_votes WHERE voter = $1 AND question_id = ANY($2::text[])",
            actor,
            object_ids,
        )
    ]


async def mark_inbox_read(conn: Connection, local_actor_id: int, actor: str) -> None:
    await conn.execute(
        """UPDATE group_inbox SET read_at = coalesce(read_at, now())
           WHERE local_actor_id = $1 AND actor = $2""",
        local_actor_id,
        actor,
    )
