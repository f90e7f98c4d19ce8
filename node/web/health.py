"""GET /healthz: is the process up, and can it reach its database."""

from __future__ import annotations

import asyncio

import asyncpg
from aiohttp import web

from node.runtime import appkeys

HEALTH_TIMEOUT = 2.0


async def healthz(request: web.Request) -> web.Response:
    pool = request.app[appkeys.DB]
    try:
        async with asyncio.timeout(HEALTH_TIMEOUT):
            async with pool.acquire() as conn:
                await conn.fetchval("SELECT 1")
    except (
        OSError,
        TimeoutError,
        asyncpg.PostgresError,
        asyncpg.InterfaceError,
        asyncpg.InternalClientError,
    ) as exc:
        if isinstance(exc, asyncpg.InternalClientError):
            # the driver lost track of a connection the server killed: drop pooled ones
            await pool.expire_connections()
        return web.json_response(
            {"status": "degraded", "database": "unreachable"}, status=503
        )
    return web.json_response({"status": "ok", "database": "ok"})
