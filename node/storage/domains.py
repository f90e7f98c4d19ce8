"""Queries: domain blocks and the federation allow-list."""

from __future__ import annotations

from typing import Any, TypeAlias

import asyncpg

from federation import domains
from node.storage.db import Connection

Conn: TypeAlias = "asyncpg.Pool[Any] | Connection"
# a row's host (with or without a port) is `$1` or one of its subdomains
_COVERED = "(split_part(host, ':', 1) = $1 OR split_part(host, ':', 1) LIKE '%.' || $1)"


async def is_refused(conn: Conn, host: str, *, allowlist_mode: bool) -> bool:
    """True when we do not federate with `host` (it or a parent domain blocked, or, in
    allow-list mode, neither allowed); any port of it, any spelling."""
    return bool(await refused_among(conn, [host], allowlist_mode=allowlist_mode))


async def refused_among(
    conn: Conn, hosts: list[str], *, allowlist_mode: bool
) -> list[str]:
    """The `hosts` we do not federate with (one query for all of them)."""
    candidates: dict[str, list[str]] = {}
    for host in hosts:
        try:
            candidates[host] = domains.suffixes(host)
        except domains.DomainError:
            candidates[host] = []
    every = sorted({s for found in candidates.values() for s in found})
    row = await conn.fetchrow(
        """SELECT ARRAY(SELECT host FROM domain_blocks WHERE host = ANY($1)) AS blocked,
                  ARRAY(SELECT host FROM domain_allows WHERE host = ANY($1)) AS allowed""",
        every,
    )
    blocked = set(row["blocked"]) if row else set()
    allowed = set(row["allowed"]) if row else set()
    return [
        host
        for host, found in candidates.items()
        if blocked & set(found) or (allowlist_mode and not allowed & set(found))
    ]


async def block(conn: Conn, host: str) -> int:
    """Block a host: refuse its activities, drop its followers and pending deliveries to it."""
    await conn.execute(
        "INSERT INTO domain_blocks (host) VALUES ($1) ON CONFLICT DO NOTHING", host
    )
    removed = await conn.execute(
        f"""DELETE FROM followers WHERE follower IN
              (SELECT uri FROM remote_actors WHERE {_COVERED})""",
        host,
    )
    await conn.execute(f"DELETE FROM deliveries WHERE {_COVERED}", host)
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
