"""GET /healthz: is the process up, and can its database write."""

from __future__ import annotations

from aiohttp import web

from node.runtime import appkeys
from node.storage import db

HEALTH_TIMEOUT = 2.0


async def healthz(request: web.Request) -> web.Response:
    """200 when the database commits a write and none of this process's writes failed for
    want of room or write access in the last 30 s; else 503 saying why (unreachable,
    read_only, disk_full, cannot_write) — a database that answers reads but cannot write
    loses everything the node is sent."""
    problem = await db.write_check(request.app[appkeys.DB], within=HEALTH_TIMEOUT)
    if problem is None:
        failures = request.app[appkeys.WRITE_FAILURES]
        failures.clear("read_only")  # the probe wrote: the database is writable again
        problem = failures.recent()  # but a write that needed room failed a moment ago
    if problem is not None:
        return web.json_response(
            {"status": "degraded", "database": problem},
            status=503,
            headers={"Retry-After": "5"},
        )
    return web.json_response({"status": "ok", "database": "ok"})
