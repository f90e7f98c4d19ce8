"""Opening the node's database: start (or reach) PostgreSQL, migrate it, open a pool and
make sure the system actors exist. Shared by the server and the CLI — and kept apart from
the web application, so a CLI command does not import (and pay for) all of it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg

from node.config import Settings
from node.services.actors import ensure_system_actors
from node.storage import db, migrate
from node.storage.server import NoDatabaseError, database_server, describe

# connections per process: web handlers, 4 inbox processors, the delivery worker, loops
POOL_SIZE = 20


@asynccontextmanager
async def open_node_database(
    settings: Settings, *, max_size: int = POOL_SIZE, create: bool = True
) -> AsyncIterator[tuple[str, asyncpg.Pool[Any]]]:
    """Start (or reach) PostgreSQL, migrate it, open a pool, make sure the system actors
    exist; undo all on exit. Shared by the server and the CLI commands.

    Raises:
        NoDatabaseError: `create` is false and there is no node database there yet (an
            admin command pointed at the wrong settings must not make a second node).
    """
    async with database_server(settings, create=create) as dsn:
        if not create and not (await migrate.status_dsn(dsn)).applied:
            msg = f"no node database at {describe(settings).split('database: ')[1]}"
            raise NoDatabaseError(msg)
        await migrate.apply_dsn(dsn)
        pool = await db.create_pool(dsn, max_size=max_size)
        try:
            await ensure_system_actors(pool, settings)
            yield dsn, pool
        finally:
            await pool.close()
