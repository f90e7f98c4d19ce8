"""asyncpg pool factory, JSON codecs and DSN helpers."""

from __future__ import annotations

import asyncio
import json
import time
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


# A sick database must make a request fail within seconds, never hang it: every query
# gives up after COMMAND_TIMEOUT on the client (a frozen server costs at most two: the
# query's and asyncpg's cancel of it), and PostgreSQL cancels a statement after
# STATEMENT_TIMEOUT and a lock wait after LOCK_TIMEOUT on its side.
COMMAND_TIMEOUT = 4.0
CONNECT_TIMEOUT = 5.0
SERVER_SETTINGS = {"statement_timeout": "5s", "lock_timeout": "3s"}


# seconds to wait for a pooled connection (all busy, or reconnecting)
ACQUIRE_TIMEOUT = 5.0


class _Pool(asyncpg.Pool):
    """asyncpg's pool, whose acquire (and so execute, fetch…) waits at most ACQUIRE_TIMEOUT
    for a connection unless told otherwise: with the database back after an outage, every
    connection reconnecting, or all of them held, a caller gets TimeoutError (a 503), not
    a wait without end."""

    def acquire(self, *, timeout: float | None = None) -> Any:
        return super().acquire(timeout=ACQUIRE_TIMEOUT if timeout is None else timeout)


async def create_pool(
    dsn: str, *, min_size: int = 1, max_size: int = 10
) -> asyncpg.Pool[Any]:
    """A pool whose connections speak JSON for json/jsonb columns, with the timeouts."""
    pool: asyncpg.Pool[Any] = await _Pool(
        dsn,
        connection_class=asyncpg.Connection,
        record_class=asyncpg.Record,
        min_size=min_size,
        max_size=max_size,
        max_queries=50000,
        max_inactive_connection_lifetime=300.0,
        loop=None,
        init=_init_connection,
        command_timeout=COMMAND_TIMEOUT,
        timeout=CONNECT_TIMEOUT,
        server_settings=SERVER_SETTINGS,
        reset=_keep_session,
    )
    return pool


async def _keep_session(_conn: asyncpg.Connection[Any]) -> None:
    """Nothing to reset when a connection goes back to the pool: pooled connections keep
    no session state (no LISTEN, no session advisory lock, no SET: those live on the
    workers' own connections; inbox locks are transaction-scoped). asyncpg's default reset
    (RESET ALL, pg_advisory_unlock_all(), UNLISTEN *, CLOSE ALL) cost four statements per
    release, and on a frozen database it waited a second command timeout."""


# What says a connection itself is gone or unusable (nothing more can be done on it).
CONNECTION_LOST = (
    TimeoutError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
)


def unavailable(exc: BaseException) -> bool:
    """Whether `exc` says the database cannot serve now (down, unreachable, frozen,
    shutting down, out of disk, read-only, a statement cancelled by its timeout) rather
    than that we asked something wrong."""
    return isinstance(
        exc,
        (
            *CONNECTION_LOST,
            OSError,
            asyncpg.DiskFullError,
            asyncpg.InsufficientResourcesError,
            asyncpg.ReadOnlySQLTransactionError,
            asyncpg.QueryCanceledError,
            asyncpg.OperatorInterventionError,
        ),
    )


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


def write_failure(exc: BaseException) -> str | None:
    """`disk_full` or `read_only` when `exc` says the database cannot write, else None."""
    if isinstance(exc, asyncpg.DiskFullError | asyncpg.InsufficientResourcesError):
        return "disk_full"
    if isinstance(exc, asyncpg.ReadOnlySQLTransactionError):
        return "read_only"
    return None


class WriteFailures:
    """When this process's writes last failed for want of room or of write access.

    /healthz's own probe rewrites one row in place, which a full disk may still allow
    (the page and the WAL segment exist); a write that needed new room and failed is the
    better witness, so it is remembered for `RECENT` seconds."""

    RECENT = 30.0

    def __init__(self) -> None:
        self._last: tuple[float, str] | None = None

    def record(self, reason: str) -> None:
        self._last = (time.monotonic(), reason)

    def clear(self, reason: str | None = None) -> None:
        """A write succeeded since (one of `reason`'s kind, when given): it has passed."""
        if reason is None or (self._last is not None and self._last[1] == reason):
            self._last = None

    def recent(self) -> str | None:
        if self._last is None or time.monotonic() - self._last[0] > self.RECENT:
            return None
        return self._last[1]


async def write_check(pool: Pool, *, within: float) -> str | None:
    """Whether the database commits a write within `within` seconds: None when it does,
    else why not (`unreachable`, `read_only`, `disk_full`, `cannot_write`)."""
    connected = False
    try:
        async with asyncio.timeout(within):
            async with pool.acquire() as conn:
                await conn.fetchval("SELECT 1")
                connected = True
                await conn.execute(
                    """INSERT INTO health_probe (id, checked_at) VALUES (1, now())
                       ON CONFLICT (id) DO UPDATE SET checked_at = now()"""
                )
    except UNAVAILABLE as exc:
        if isinstance(exc, asyncpg.InternalClientError):
            # the driver lost track of a connection the server killed: drop pooled ones
            await pool.expire_connections()
        if not connected:
            return "unreachable"
        return write_failure(exc) or "cannot_write"
    return None
