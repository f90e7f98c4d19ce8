"""Queries: domain blocks and the federation allow-list."""

from __future__ import annotations

from typing import Any, TypeAlias

import asyncpg

from node.storage.channels import Channel, notify
from node.storage.db import Connection

Conn: TypeAlias = "asyncpg.Pool[Any] | Connection"
# a row's host (with or without a port) is `$1` or one of its subdomains
_COVERED = "(split_part(host, ':', 1) = $1 OR split_part(host, ':', 1) LIKE '%.' || $1)"


async def lists(conn: Conn) -> tuple[frozenset[str], frozenset[str]]:
    """Every blocked and every allowed domain, in one query."""
    row = await conn.fetchrow(
        """SELECT ARRAY(SELECT host FROM domain_blocks) AS blocked,
                  ARRAY(SELECT host FROM domain_allows) AS allowed"""
    )
    if row is None:  # pragma: no cover - a SELECT of two arrays always has a row
        return frozenset(), frozenset()
    return frozenset(row["blocked"]), frozenset(row["allowed"])


async def block(conn: Conn, host: str) -> int:
    """Block a host: refuse its activities, drop its followers and pending deliveries to it."""
    await conn.execute(
        "INSERT INTO domain_blocks (host) VALUES ($1) ON CONFLICT DO NOTHING", host
    )
    await notify(conn, Channel.DOMAINS)  # every process drops its cached lists
    removed = await conn.execute(
        f"""DELETE FROM followers WHERE follower IN
              (SELECT uri FROM remote_actors WHERE {_COVERED})""",
        host,
    )
    await conn.execute(f"DELETE FROM deliveries WHERE {_COVERED}", host)
    return int(removed.split()[-1])


async def unblock(conn: Conn, host: str) -> bool:
    done = await conn.execute("DELETE FROM domain_blocks WHERE host = $1", host)
    await notify(conn, Channel.DOMAINS)  # every process drops its cached lists
    return done != "DELETE 0"


async def blocked(conn: Conn) -> list[str]:
    return [
        r["host"]
        for r in await conn.fetch("SELECT host FROM domain_blocks ORDER BY host")
    ]


async def allow(conn: Conn, host: str) -> None:
    await conn.execute(
        "INSERT INTO domain_allows (host) VALUES ($1) ON CONFLICT DO NOTHING", host
    )
    await notify(conn, Channel.DOMAINS)  # every process drops its cached lists


async def allowed(conn: Conn) -> list[str]:
    return [
        r["host"]
        for r in await conn.fetch("SELECT host FROM domain_allows ORDER BY host")
    ]
