"""Queries: confederations, their records, members and what replicas announced."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from node.storage.db import Connection

Conn = "asyncpg.Pool[Any] | Connection"
_COLUMNS = "id, charter, member_actor_id, replica_actor_id, sources, synced_at"


@dataclass(frozen=True, slots=True)
class Confederation:
    id: str
    charter: dict[str, Any]
    member_actor_id: (
        int  # who this node is in it (its node actor, or a replica when nested)
    )
    replica_actor_id: int | None  # its local replica, once admitted
    sources: list[str]
    synced_at: datetime | None


def _conf(row: asyncpg.Record) -> Confederation:
    return Confederation(
        row["id"],
        dict(row["charter"]),
        row["member_actor_id"],
        row["replica_actor_id"],
        list(row["sources"]),
        row["synced_at"],
    )


async def insert(
    conn: Connection,
    *,
    id: str,
    charter: dict[str, Any],
    member_actor_id: int,
    replica_actor_id: int | None,
    sources: list[str],
) -> bool:
    done = await conn.execute(
        """INSERT INTO confederations (id, charter, member_actor_id, replica_actor_id, sources)
           VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING""",
        id,
        charter,
        member_actor_id,
        replica_actor_id,
        sources,
    )
    return done == "INSERT 0 1"


async def get(conn: Any, id: str, *, lock: bool = False) -> Confederation | None:
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM confederations WHERE id = $1"
        + (" FOR UPDATE" if lock else ""),
        id,
    )
    return None if row is None else _conf(row)


async def by_replica(conn: Any, replica_actor_id: int) -> Confederation | None:
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM confederations WHERE replica_actor_id = $1",
        replica_actor_id,
    )
    return None if row is None else _conf(row)


async def by_name(conn: Any, name: str) -> Confederation | None:
    """The confederation whose local replica is `name`, or whose charter is named `name`."""
    row = await conn.fetchrow(
        f"""SELECT {_COLUMNS} FROM confederations c
            WHERE replica_actor_id = (SELECT id FROM local_actors WHERE name = $1)
               OR charter->>'preferredUsername' = $1
            ORDER BY replica_actor_id IS NULL LIMIT 1""",
        name,
    )
    return None if row is None else _conf(row)


async def all_(conn: Any) -> list[Confederation]:
    rows = await conn.fetch(f"SELECT {_COLUMNS} FROM confederations ORDER BY id")
    return [_conf(r) for r in rows]


async def set_replica(conn: Connection, id: str, replica_actor_id: int) -> None:
    await conn.execute(
        "UPDATE confederations SET replica_actor_id = $2 WHERE id = $1",
        id,
        replica_actor_id,
    )


async def add_sources(conn: Any, id: str, urls: list[str]) -> None:
    await conn.execute(
        """UPDATE confederations SET sources = ARRAY(
             SELECT DISTINCT unnest(sources || $2::text[])) WHERE id = $1""",
        id,
        urls,
    )


async def mark_synced(conn: Any, id: str, when: datetime) -> None:
    await conn.execute(
        "UPDATE confederations SET synced_at = $2 WHERE id = $1", id, when
    )


async def add_record(
    conn: Connection,
    *,
    confederation: str,
    record: dict[str, Any],
    actor: str,
    published: datetime,
) -> bool:
    done = await conn.execute(
        """INSERT INTO confederation_records (id, confederation, type, actor, published, body)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING""",
        record["id"],
        confederation,
        record["type"],
        actor,
        published,
        record,
    )
    return done == "INSERT 0 1"


async def records(conn: Any, confederation: str) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        """SELECT body FROM confederation_records WHERE confederation = $1
           ORDER BY published, id""",
        confederation,
    )
    return [dict(r["body"]) for r in rows]


async def count_records(conn: Any, confederation: str) -> int:
    return int(
        await conn.fetchval(
            "SELECT count(*) FROM confederation_records WHERE confederation = $1",
            confederation,
        )
    )


async def records_page(
    conn: Any, confederation: str, *, limit: int, offset: int
) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        """SELECT body FROM confederation_records WHERE confederation = $1
           ORDER BY published, id LIMIT $2 OFFSET $3""",
        confederation,
        limit,
        offset,
    )
    return [dict(r["body"]) for r in rows]


async def members(conn: Any, confederation: str) -> list[str]:
    rows = await conn.fetch(
        "SELECT member FROM confederation_members WHERE confederation = $1 ORDER BY member",
        confederation,
    )
    return [r["member"] for r in rows]


async def set_members(
    conn: Connection, confederation: str, wanted: set[str]
) -> tuple[set[str], set[str]]:
    """Make the stored member list `wanted`; returns (added, removed)."""
    before = set(await members(conn, confederation))
    added, removed = wanted - before, before - wanted
    await conn.execute(
        "DELETE FROM confederation_members WHERE confederation = $1 AND member = ANY($2::text[])",
        confederation,
        sorted(removed),
    )
    await conn.executemany(
        "INSERT INTO confederation_members (confederation, member) VALUES ($1, $2)",
        [(confederation, m) for m in sorted(added)],
    )
    return added, removed


async def replicas_relaying(conn: Any, member: str) -> list[Confederation]:
    """Confederations with a local replica in which `member` is a member."""
    rows = await conn.fetch(
        f"""SELECT {", ".join("c." + c.strip() for c in _COLUMNS.split(","))}
            FROM confederations c JOIN confederation_members m ON m.confederation = c.id
            WHERE m.member = $1 AND c.replica_actor_id IS NOT NULL ORDER BY c.id""",
        member,
    )
    return [_conf(r) for r in rows]


async def mark_announced(
    conn: Connection, replica_actor_id: int, object_id: str
) -> bool:
    """Record that the replica announces `object_id`; False if it already did."""
    done = await conn.execute(
        """INSERT INTO confederation_announced (replica_actor_id, object_id) VALUES ($1, $2)
           ON CONFLICT DO NOTHING""",
        replica_actor_id,
        object_id,
    )
    return done == "INSERT 0 1"


async def replica_urls(conn: Any, id: str) -> list[str]:
    """Replicas of the confederation we know of: remote actors that say they are one."""
    rows = await conn.fetch(
        "SELECT uri FROM remote_actors WHERE document->>'confederation' = $1 ORDER BY uri",
        id,
    )
    return [r["uri"] for r in rows]


async def cluster_actors(conn: Any, confederation: str) -> dict[str, int]:
    """The replica's cluster actors: cluster name -> local actor id."""
    rows = await conn.fetch(
        "SELECT cluster, actor_id FROM confederation_clusters WHERE confederation = $1",
        confederation,
    )
    return {r["cluster"]: r["actor_id"] for r in rows}


async def add_cluster_actor(
    conn: Any, confederation: str, cluster: str, actor_id: int
) -> None:
    await conn.execute(
        """INSERT INTO confederation_clusters (confederation, cluster, actor_id)
           VALUES ($1, $2, $3) ON CONFLICT DO NOTHING""",
        confederation,
        cluster,
        actor_id,
    )


async def of_cluster_actor(conn: Any, actor_id: int) -> tuple[str, str] | None:
    """(confederation id, cluster) that a cluster actor stands for."""
    row = await conn.fetchrow(
        "SELECT confederation, cluster FROM confederation_clusters WHERE actor_id = $1",
        actor_id,
    )
    return None if row is None else (row["confederation"], row["cluster"])


async def is_announced(conn: Any, replica_actor_id: int, object_id: str) -> bool:
    """Whether a replica (or cluster actor) announced `object_id` already."""
    return bool(
        await conn.fetchval(
            "SELECT 1 FROM confederation_announced WHERE replica_actor_id = $1 AND object_id = $2",
            replica_actor_id,
            object_id,
        )
    )


async def announcers_of(conn: Any, object_id: str) -> list[int]:
    """The local replicas and cluster actors that announced `object_id`."""
    return [
        r["replica_actor_id"]
        for r in await conn.fetch(
            "SELECT replica_actor_id FROM confederation_announced WHERE object_id = $1",
            object_id,
        )
    ]


async def recent_public_movement(
    conn: Any, since: datetime, limit: int
) -> list[asyncpg.Record]:
    """This node's live public movement objects published since `since`, oldest first
    (at most `limit`, the newest of them): what it brings into a confederation."""
    rows: list[asyncpg.Record] = await conn.fetch(
        """SELECT * FROM (
             SELECT id, kind, clusters, body, published_at FROM objects
             WHERE public AND kind IS NOT NULL AND deleted_at IS NULL
               AND published_at >= $1
             ORDER BY published_at DESC LIMIT $2) r
           ORDER BY published_at""",
        since,
        limit,
    )
    return rows


async def admitted_as(
    conn: Any, confederation: str, member_actor_id: int, member_url: str
) -> bool:
    """Whether local actor `member_actor_id` (at `member_url`) is this node's member in
    `confederation`, and admitted."""
    found = await conn.fetchval(
        """SELECT 1 FROM confederations c
           JOIN confederation_members m ON m.confederation = c.id AND m.member = $3
           WHERE c.id = $1 AND c.member_actor_id = $2""",
        confederation,
        member_actor_id,
        member_url,
    )
    return found is not None


async def replicas_following(
    conn: Any, local_actor_id: int, confederation: str
) -> list[asyncpg.Record]:
    """Accepted followers of `local_actor_id` whose documents say they are replicas of
    `confederation` (their actor document, document and inbox)."""
    rows: list[asyncpg.Record] = await conn.fetch(
        """SELECT r.document, coalesce(f.shared_inbox, f.inbox) AS inbox
           FROM followers f JOIN remote_actors r ON r.uri = f.follower
           WHERE f.local_actor_id = $1 AND f.state = 'accepted'
             AND r.document->>'confederation' = $2
           ORDER BY f.follower""",
        local_actor_id,
        confederation,
    )
    return rows
