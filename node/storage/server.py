"""The database server a command uses: DATABASE_URL when set, else the embedded one."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit, urlunsplit

from node.config import Settings
from node.storage.embedded import EmbeddedPostgres


class NoDatabaseError(Exception):
    """A command that must act on an existing node found no database where it looked."""


def describe(settings: Settings) -> str:
    """Which node `settings` name: its URL, its settings file and its database."""
    where = (
        f"PostgreSQL at {_safe_dsn(settings.database_url)}"
        if settings.database_url
        else f"embedded PostgreSQL in {settings.pgdata}"
    )
    source = settings.source or "no settings file (defaults and environment)"
    return f"node {settings.url} — settings: {source}; database: {where}"


def _safe_dsn(dsn: str) -> str:
    """A DSN without its password (for messages)."""
    parts = urlsplit(dsn)
    if parts.password is None:
        return dsn
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


@asynccontextmanager
async def database_server(
    settings: Settings, *, create: bool = True
) -> AsyncIterator[str]:
    """Yield a DSN; start and stop the embedded PostgreSQL around the block if needed.

    Raises:
        NoDatabaseError: `create` is false and there is no embedded cluster yet.
    """
    if settings.database_url:
        yield settings.database_url
        return
    embedded = EmbeddedPostgres(settings.pgdata)
    if not create and not embedded.exists():
        msg = f"no node database in {settings.pgdata}"
        raise NoDatabaseError(msg)
    dsn = await asyncio.to_thread(embedded.start)
    try:
        yield dsn
    finally:
        await asyncio.to_thread(embedded.stop)
