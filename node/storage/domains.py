"""Queries: domain blocks and the federation allow-list."""

from __future__ import annotations

from typing import Any, TypeAlias

import asyncpg

from node.storage.db import Connection

Conn: TypeAlias = "asyncpg.Pool[Any] | Connection"


async def is_refused(conn: Conn, host: str, *, allowlist_mode: bool) -> bool:
    """True when we do not federate with `host` (blocked, or not allowed in allow-list mode)."""
    row = await conn.fetchrow(
        """SELECT EXISTS (SELECT 1 FROM domain_blocks WHERE host = $1) AS blocked,
                  EXISTS (SELECT 1 FROM domain_allows WHERE host = $1) AS allowed""",
        host,
    )
    if row is None:
        return False
    return bool(row["blocked"]) or (allowlist_mode and not row["allowed"])


async def block(conn: Conn, host: str) -> int:
    """Block a host: refuse its activities, drop its followers and pending deliveries to it."""
    await conn.execute(
        "INSERT INTO domain_blocks (host) VALUES ($1) ON CONFLICT DO NOTHING", host
    )
    removed = await conn.execute(
        "DELETE FROM followers WHERE follower IN (SELECT uri FROM remote_actors WHERE host = $1)",
        host,
    )
    await conn.execute("DELETE FROM deliveries WHERE host = $1", host)
    return int(removed.split()[-1])


async def unblock(conn: Conn, host: str) -> bool:
    return (
        await conn.execute("DELETE FROM domain_blocks WHERE host = $1", host)
        != "DELETE 0"
    )


async def blocked(conn: Conn) -> list[str]:
    return [
        r["host"]
        for r in await conn.fetch("SELECT host FROM domain_blocks ORDER BY host")
    ]


async def allow(conn: Conn, host: str) -> None:
    await conn.execute(
        "INSERT INTO domain_allows (host) VALUES ($1) ON CONFLICT DO NOTHING", host
    )


async def allowed(conn: Conn) -> list[str]:
    return [
        r["host"]
        for r in await conn.fetch("SELECT host FROM domain_allows ORDER BY host")
    ]
