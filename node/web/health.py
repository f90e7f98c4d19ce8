"""GET /healthz: is the process up, and can it reach its database."""

from __future__ import annotations

from aiohttp import web

from node.runtime import appkeys
from node.storage import db

HEALTH_TIMEOUT = 2.0


async def healthz(request: web.Request) -> web.Response:
    if not await db.ping(request.app[appkeys.DB], within=HEALTH_TIMEOUT):
        return web.json_response(
            {"status": "degraded", "database": "unreachable"}, status=503
        )
    return web.json_response({"status": "ok", "database": "ok"})
