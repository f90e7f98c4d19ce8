"""create_app(settings): the aiohttp application with its resources and routes."""

from __future__ import annotations

from collections.abc import AsyncIterator

import structlog
from aiohttp import web

from node import keys
from node.config import Settings
from node.storage import db, migrate
from node.storage.server import database_server
from node.web.middleware import request_context
from node.web.routes import setup_routes

log = structlog.get_logger(__name__)
MAX_BODY = 1024 * 1024  # 1 MiB, Mastodon's MAX_JSON_SIZE


async def database_ctx(app: web.Application) -> AsyncIterator[None]:
    """Start (or reach) PostgreSQL, migrate it, open the pool; undo all on shutdown."""
    async with database_server(app[keys.SETTINGS]) as dsn:
        await migrate.apply_dsn(dsn)
        app[keys.DSN] = dsn
        app[keys.DB] = await db.create_pool(dsn)
        try:
            yield
        finally:
            await app[keys.DB].close()


def create_app(settings: Settings) -> web.Application:
    """Build the application; resources start when the app starts."""
    app = web.Application(middlewares=[request_context], client_max_size=MAX_BODY)
    app[keys.SETTINGS] = settings
    app.cleanup_ctx.append(database_ctx)
    setup_routes(app)
    return app
