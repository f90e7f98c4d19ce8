"""Queries behind the public pages and feeds: public movement objects only, never a
followers-only one (every query here filters on `public`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from node.domain.actors import LocalActor
from node.storage import actors as store

# Local public objects, and the remote ones a replica or cluster actor announced.
_LOCAL = """SELECT o.id, o.kind, o.fields, o.body, o.clusters, o.published_at AS published,
                   a.name AS author
              FROM objects o JOIN local_actors a ON a.id = o.local_actor_id
             WHERE o.public AND o.deleted_at IS NULL AND o.kind IS NOT NULL"""
# what any replica of this node announced (_ANNOUNCED: what one replica did)
_ANNOUNCED_ANY = """SELECT o.id, o.kind, o.fields, o.body, o.clusters, n.announced_at AS published,
                       o.author
                  FROM confederation_announced n
                  JOIN (SELECT b.id, b.kind, b.fields, b.body, b.clusters, a.name AS author
                          FROM objects b JOIN local_actors a ON a.id = b.local_actor_id
                         WHERE b.public AND b.deleted_at IS NULL
                        UNION ALL
                        SELECT id, kind, fields, body, clusters, actor AS author
                          FROM remote_objects WHERE public AND deleted_at IS NULL) o
                    ON o.id = n.object_id
                 WHERE o.kind IS NOT NULL"""
_ANNOUNCED = _ANNOUNCED_ANY + " AND n.replica_actor_id = $1"
# The node's home: its own public objects and what any of its replicas announced, each
# once (an object relayed by two confederations, or our own relayed back, shows once).
_HOME = f"""SELECT DISTINCT ON (h.id) h.*
              FROM ({_LOCAL}
                    UNION ALL
                    {_ANNOUNCED_ANY}) h
             ORDER BY h.id, h.published"""
ANNOUNCING_KINDS = ("confederation", "confederation_cluster")


def _scope(actor: LocalActor, *, home: bool = False) -> tuple[str, list[Any]]:
    """The SQL of `actor`'s objects (what its page and feeds show) and its arguments; with
    `home`, the node's with its confederations'."""
    if home and actor.kind == "node":
        return _HOME, []
    if actor.kind in ANNOUNCING_KINDS:
        return _ANNOUNCED, [actor.id]
    if actor.kind == "node":
        return _LOCAL, []
    if actor.kind == "cluster":
        return _LOCAL + " AND $1 = ANY(o.clusters)", [actor.name]
    return _LOCAL + " AND o.local_actor_id = $1", [actor.id]


async def objects_of(
    conn: Any,
    actor: LocalActor,
    *,
    kind: str | None = None,
    cluster: str | None = None,
    limit: int = 50,
    home: bool = False,
) -> list[asyncpg.Record]:
    """`actor`'s public objects (a cluster's: tagged with it; a replica's: announced by
    it; the node's: all of this node's, and with `home` its confederations' too), newest
    first."""
    sql, args = _scope(actor, home=home)
    n = len(args)
    rows: list[asyncpg.Record] = await conn.fetch(
        f"""SELECT * FROM ({sql}) s
             WHERE (${n + 1}::text IS NULL OR s.kind = ${n + 1})
               AND (${n + 2}::text IS NULL OR ${n + 2} = ANY(s.clusters))
             ORDER BY s.published DESC, s.id LIMIT {int(limit)}""",
        *args,
        kind,
        cluster,
    )
    return rows


async def upcoming_calls(
    conn: Any, actor: LocalActor, now: datetime, *, limit: int = 200, home: bool = False
) -> list[asyncpg.Record]:
    """`actor`'s public calls to action that have not ended, soonest first; calls with no
    time come after, newest first."""
    sql, args = _scope(actor, home=home)
    n = len(args)
    rows: list[asyncpg.Record] = await conn.fetch(
        f"""SELECT * FROM ({sql}) s
             WHERE s.kind = 'call'
               AND (s.fields->>'startTime' IS NULL
                    OR COALESCE(s.fields->>'endTime', s.fields->>'startTime')::timestamptz
                       >= ${n + 1})
             ORDER BY (s.fields->>'startTime')::timestamptz NULLS LAST, s.published DESC
             LIMIT {int(limit)}""",
        *args,
        now,
    )
    return rows


async def public_object(conn: Any, object_id: str) -> asyncpg.Record | None:
    """One local public movement object (or None: unknown, deleted or not public)."""
    row: asyncpg.Record | None = await conn.fetchrow(
        f"SELECT * FROM ({_LOCAL}) s WHERE s.id = $1", object_id
    )
    return row


async def ecology(conn: Any) -> dict[str, Any]:
    """What the movement map draws: groups, clusters, each group's objects per cluster,
    objects in two or more clusters (bridges), offers per group."""
    groups = await store.local_by_kind(conn, "group")
    clusters = await store.local_by_kind(conn, "cluster")
    links = await conn.fetch(
        f"""SELECT s.author, c AS cluster, count(*) AS n
              FROM ({_LOCAL}) s, unnest(s.clusters) c GROUP BY s.author, c"""
    )
    bridges = await conn.fetch(
        f"""SELECT s.clusters FROM ({_LOCAL}) s WHERE cardinality(s.clusters) > 1"""
    )
    offers = await conn.fetch(
        f"""SELECT s.author, count(*) AS n FROM ({_LOCAL}) s WHERE s.kind = 'offer'
             GROUP BY s.author"""
    )
    return {
        "groups": [(a.name, a.display_name) for a in groups],
        "clusters": [(a.name, a.display_name) for a in clusters],
        "links": [(r["author"], r["cluster"], r["n"]) for r in links],
        "bridges": [list(r["clusters"]) for r in bridges],
        "offers": {r["author"]: r["n"] for r in offers},
    }


async def remote_actor_documents(
    pool: Any, uris: list[str]
) -> dict[str, dict[str, Any]]:
    """The stored documents of these remote actors (to show names, never bare URLs)."""
    return {
        r["uri"]: dict(r["document"])
        for r in await pool.fetch(
            "SELECT uri, document FROM remote_actors WHERE uri = ANY($1::text[])", uris
        )
    }
