"""Queries: this node's own objects (`objects`) and what its actors sent (`outbox`).

Each write is here exactly once. Reads that serve someone other than the author filter on
`public` (an anonymous reader's `can_read`, federation.audience) or hand the row to
`can_read` with the reader.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import asyncpg

from node.storage.channels import Channel, notify
from node.storage.db import Connection, Pool

_VIEW = "id, kind, fields, body, published_at"


# --- writes -------------------------------------------------------------------------


async def insert(
    conn: Connection,
    *,
    obj: dict[str, Any],
    local_actor_id: int,
    public: bool,
    kind: str | None,
    fields: dict[str, Any] | None,
    clusters: list[str],
    published: datetime | None,
) -> None:
    await conn.execute(
        """INSERT INTO objects (id, local_actor_id, type, body, public, kind, fields, clusters, published_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, coalesce($9, now()))""",
        obj["id"],
        local_actor_id,
        obj["type"],
        obj,
        public,
        kind,
        fields,
        clusters,
        published,
    )


async def replace(
    conn: Connection,
    *,
    obj: dict[str, Any],
    fields: dict[str, Any] | None,
    clusters: list[str],
    updated: datetime | None,
) -> None:
    """A new version of a stored object (same id, kind and audience)."""
    await conn.execute(
        """UPDATE objects SET type = $2, body = $3, fields = $4, clusters = $5, updated_at = $6
           WHERE id = $1""",
        obj["id"],
        obj["type"],
        obj,
        fields,
        clusters,
        updated,
    )


async def updated_at(conn: Connection, object_id: str) -> datetime | None:
    """When its author last edited an object (None: never)."""
    value: datetime | None = await conn.fetchval(
        "SELECT updated_at FROM objects WHERE id = $1", object_id
    )
    return value


async def tombstone(
    conn: Connection, object_id: str, tombstone: Mapping[str, Any], now: datetime
) -> None:
    await conn.execute(
        "UPDATE objects SET body = $2, fields = NULL, deleted_at = $3 WHERE id = $1",
        object_id,
        tombstone,
        now,
    )


async def mark_closed(conn: Connection, object_id: str, now: datetime) -> None:
    await conn.execute(
        "UPDATE objects SET closed_at = $2 WHERE id = $1", object_id, now
    )


async def append_outbox(
    conn: Connection,
    *,
    activity: Mapping[str, Any],
    local_actor_id: int,
    object_id: str | None,
    public: bool,
) -> None:
    await conn.execute(
        """INSERT INTO outbox (activity_id, local_actor_id, type, object_id, public, body)
           VALUES ($1, $2, $3, $4, $5, $6)""",
        activity["id"],
        local_actor_id,
        activity["type"],
        object_id,
        public,
        activity,
    )
    if public:
        await notify(conn, Channel.OUTBOX)


async def newest_outbox_row(pool: Pool) -> int:
    """The id of the newest outbox row (0: none): what a served outbox page is built after."""
    return int(await pool.fetchval("SELECT coalesce(max(id), 0) FROM outbox"))


# --- the author's own objects ---------------------------------------------------------


async def lock_own(
    conn: Connection, local_actor_id: int, object_id: str
) -> asyncpg.Record | None:
    """The author's live movement object, locked for this transaction."""
    row: asyncpg.Record | None = await conn.fetchrow(
        """SELECT id, kind, fields, public, published_at, clusters, closed_at FROM objects
           WHERE id = $1 AND local_actor_id = $2 AND kind IS NOT NULL AND deleted_at IS NULL
           FOR UPDATE""",
        object_id,
        local_actor_id,
    )
    return row


async def own(
    pool: Pool, local_actor_id: int, object_id: str, kind: str
) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await pool.fetchrow(
        f"""SELECT {_VIEW} FROM objects WHERE id = $1 AND local_actor_id = $2 AND kind = $3
            AND deleted_at IS NULL""",
        object_id,
        local_actor_id,
        kind,
    )
    return row


async def own_page(
    pool: Pool, local_actor_id: int, kind: str, *, before: datetime | None, limit: int
) -> list[asyncpg.Record]:
    """The author's live objects of `kind`, newest first, published before `before`."""
    return await pool.fetch(
        f"""SELECT {_VIEW} FROM objects WHERE local_actor_id = $1 AND kind = $2
              AND deleted_at IS NULL AND ($3::timestamptz IS NULL OR published_at < $3)
            ORDER BY published_at DESC LIMIT {int(limit)}""",
        local_actor_id,
        kind,
        before,
    )


async def recent_own(
    pool: Pool, local_actor_id: int, *, limit: int = 100
) -> list[asyncpg.Record]:
    """The author's live movement objects of every kind and audience, newest first."""
    return await pool.fetch(
        """SELECT id, kind, fields, public, published_at FROM objects
           WHERE local_actor_id = $1 AND kind IS NOT NULL AND deleted_at IS NULL
           ORDER BY published_at DESC LIMIT $2""",
        local_actor_id,
        limit,
    )


async def bodies_of(pool: Pool, local_actor_id: int) -> list[dict[str, Any]]:
    """Every object of an actor as served (Tombstones included), oldest first (export)."""
    return [
        dict(r["body"])
        for r in await pool.fetch(
            "SELECT body FROM objects WHERE local_actor_id = $1 ORDER BY published_at, id",
            local_actor_id,
        )
    ]


# --- any reader -----------------------------------------------------------------------


async def is_live(conn: Connection, object_id: str | None) -> bool:
    """Whether `object_id` is one of ours and not deleted."""
    return object_id is not None and bool(
        await conn.fetchval(
            "SELECT 1 FROM objects WHERE id = $1 AND deleted_at IS NULL", object_id
        )
    )


async def live_audience(conn: Connection, object_id: str) -> asyncpg.Record | None:
    """A live object's body (its audience) and author, for deciding who may react."""
    row: asyncpg.Record | None = await conn.fetchrow(
        "SELECT body, local_actor_id FROM objects WHERE id = $1 AND deleted_at IS NULL",
        object_id,
    )
    return row


async def served(pool: Pool, object_id: str) -> asyncpg.Record | None:
    """What GET of an object's URL needs: body, public, deleted_at, local_actor_id."""
    row: asyncpg.Record | None = await pool.fetchrow(
        "SELECT body, public, deleted_at, local_actor_id FROM objects WHERE id = $1",
        object_id,
    )
    return row


async def live_movement(
    pool: Pool | Connection, object_id: str
) -> asyncpg.Record | None:
    """A live local movement object with its audience (public) and its author's name."""
    row: asyncpg.Record | None = await pool.fetchrow(
        """SELECT o.id, o.kind, o.fields, o.body, o.published_at, o.public, a.name AS author
             FROM objects o JOIN local_actors a ON a.id = o.local_actor_id
            WHERE o.id = $1 AND o.kind IS NOT NULL AND o.deleted_at IS NULL""",
        object_id,
    )
    return row


async def public_movement(
    pool: Pool,
    *,
    kind: str | None,
    cluster: str | None,
    since: datetime | None,
    before: datetime | None,
    limit: int,
) -> list[asyncpg.Record]:
    """Public movement objects, local and federated, newest first (`local` says which)."""
    return await pool.fetch(
        f"""SELECT * FROM (
              SELECT {_VIEW}, clusters, true AS local FROM objects
              WHERE kind IS NOT NULL AND public AND deleted_at IS NULL
              UNION ALL
              SELECT id, kind, fields, body, received_at AS published_at, clusters, false AS local
              FROM remote_objects WHERE kind IS NOT NULL AND public AND deleted_at IS NULL
                AND fields IS NOT NULL
            ) o
            WHERE ($1::text IS NULL OR o.kind = $1)
              AND ($2::text IS NULL OR $2 = ANY(o.clusters))
              AND ($3::timestamptz IS NULL OR o.published_at >= $3)
              AND ($4::timestamptz IS NULL OR o.published_at < $4)
            ORDER BY o.published_at DESC LIMIT {int(limit)}""",
        kind,
        cluster,
        since,
        before,
    )


async def live_call(
    pool: Pool, local_actor_id: int, object_id: str
) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await pool.fetchrow(
        """SELECT id, fields, body FROM objects WHERE id = $1 AND local_actor_id = $2
           AND kind = 'call' AND deleted_at IS NULL""",
        object_id,
        local_actor_id,
    )
    return row


async def known_offers(pool: Pool) -> list[asyncpg.Record]:
    """Every public offer this node knows, its own (local_name) and those its replicas
    relayed (actor)."""
    return await pool.fetch(
        """SELECT o.id, a.name AS local_name, NULL AS actor, o.fields FROM objects o
             JOIN local_actors a ON a.id = o.local_actor_id
            WHERE o.kind = 'offer' AND o.public AND o.deleted_at IS NULL
           UNION ALL
           SELECT id, NULL, actor, fields FROM remote_objects
            WHERE kind = 'offer' AND public AND deleted_at IS NULL"""
    )


# --- proposals ------------------------------------------------------------------------


async def is_live_proposal(conn: Connection, object_id: str) -> bool:
    return bool(
        await conn.fetchval(
            "SELECT 1 FROM objects WHERE id = $1 AND kind = 'proposal' AND deleted_at IS NULL",
            object_id,
        )
    )


async def lock_fields(conn: Connection, object_id: str) -> dict[str, Any] | None:
    """An object's movement fields, the row locked for this transaction."""
    row = await conn.fetchrow(
        "SELECT fields FROM objects WHERE id = $1 FOR UPDATE", object_id
    )
    return None if row is None else dict(row["fields"])


async def live_proposal(conn: Connection, object_id: str) -> asyncpg.Record | None:
    """A live proposal's fields, published_at, clusters, public and author's name."""
    row: asyncpg.Record | None = await conn.fetchrow(
        """SELECT o.fields, o.published_at, o.clusters, o.public, a.name
           FROM objects o JOIN local_actors a ON a.id = o.local_actor_id
           WHERE o.id = $1 AND o.kind = 'proposal' AND o.deleted_at IS NULL""",
        object_id,
    )
    return row


async def claim_due_proposal(conn: Connection, now: datetime) -> str | None:
    """One open proposal whose endTime has passed, locked (others skip it)."""
    object_id: str | None = await conn.fetchval(
        """SELECT id FROM objects
           WHERE kind = 'proposal' AND deleted_at IS NULL AND closed_at IS NULL
             AND (fields->>'endTime')::timestamptz <= $1
           ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED""",
        now,
    )
    return object_id


async def next_proposal_end(pool: Pool) -> datetime | None:
    end: datetime | None = await pool.fetchval(
        """SELECT min((fields->>'endTime')::timestamptz) FROM objects
           WHERE kind = 'proposal' AND deleted_at IS NULL AND closed_at IS NULL"""
    )
    return end


# --- the outbox -----------------------------------------------------------------------


async def public_outbox_count(pool: Pool, local_actor_id: int) -> int:
    return int(
        await pool.fetchval(
            "SELECT count(*) FROM outbox WHERE local_actor_id = $1 AND public",
            local_actor_id,
        )
    )


async def public_outbox_page(
    pool: Pool, local_actor_id: int, *, limit: int, offset: int
) -> list[dict[str, Any]]:
    return [
        dict(r["body"])
        for r in await pool.fetch(
            """SELECT body FROM outbox WHERE local_actor_id = $1 AND public
               ORDER BY id DESC LIMIT $2 OFFSET $3""",
            local_actor_id,
            limit,
            offset,
        )
    ]


async def outbox_bodies(pool: Pool, local_actor_id: int) -> list[dict[str, Any]]:
    """Every activity an actor sent, oldest first (export)."""
    return [
        dict(r["body"])
        for r in await pool.fetch(
            "SELECT body FROM outbox WHERE local_actor_id = $1 ORDER BY id",
            local_actor_id,
        )
    ]


async def relayed_announces(conn: Connection, object_id: str) -> list[asyncpg.Record]:
    """The Announces of `object_id` our replicas and their cluster actors sent
    (local_actor_id, body)."""
    return await conn.fetch(
        """SELECT o.local_actor_id, o.body FROM outbox o
             JOIN confederation_announced n
               ON n.replica_actor_id = o.local_actor_id AND n.object_id = o.object_id
            WHERE o.object_id = $1 AND o.type = 'Announce'""",
        object_id,
    )


async def count_public_live(pool: Pool) -> int:
    """How many public objects this node's actors have published and not deleted
    (NodeInfo's localPosts)."""
    return int(
        await pool.fetchval(
            "SELECT count(*) FROM objects WHERE public AND deleted_at IS NULL"
        )
    )
