"""The database server a command uses: DATABASE_URL when set, else the embedded one."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from node.config import Settings
from node.storage.embedded import EmbeddedPostgres


@asynccontextmanager
async def database_server(settings: Settings) -> AsyncIterator[str]:
    """Yield a DSN; start and stop the embedded PostgreSQL around the block if needed."""
    if settings.database_url:
        yield settings.database_url
        return
    embedded = EmbeddedPostgres(settings.pgdata)
    dsn = await asyncio.to_thread(embedded.start)
    try:
        yield dsn
    finally:
        await asyncio.to_thread(embedded.stop)
