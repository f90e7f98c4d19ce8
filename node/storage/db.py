"""asyncpg pool factory, JSON codecs and DSN helpers."""

from __future__ import annotations

import asyncio
import json
from typing import Any, TypeAlias
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from asyncpg.pool import PoolConnectionProxy

# A connection as handlers see it: a plain one, or one borrowed from a pool.
Connection: TypeAlias = "asyncpg.Connection[Any] | PoolConnectionProxy[Any]"
# The node's connection pool, as services, handlers and commands hold it.
Pool: TypeAlias = "asyncpg.Pool[Any]"


async def _init_connection(conn: asyncpg.Connection[Any]) -> None:
    for typename in ("json", "jsonb"):
        await conn.set_type_codec(
            typename, encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
        )


async def create_pool(
    dsn: str, *, min_size: int = 1, max_size: int = 10
) -> asyncpg.Pool[Any]:
    """A pool whose connections speak JSON for json/jsonb columns."""
    pool = await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        init=_init_connection,
        command_timeout=30,
    )
    return pool


def with_database(dsn: str, database: str) -> str:
    """The same server DSN pointing at another database."""
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path="/" + database))


# What a database that cannot be reached, or that dropped a connection, raises.
UNAVAILABLE = (
    OSError,
    TimeoutError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
)


async def ping(pool: Pool, *, within: float) -> bool:
    """Whether a pooled connection answers within `within` seconds."""
    try:
        async with asyncio.timeout(within):
            async with pool.acquire() as conn:
                await conn.fetchval("SELECT 1")
    except UNAVAILABLE as exc:
        if isinstance(exc, asyncpg.InternalClientError):
            # the driver lost track of a connection the server killed: drop pooled ones
            await pool.expire_connections()
        return False
    return True
