"""The route table: path -> handler, nothing else."""

from __future__ import annotations

from aiohttp import web

from node.web import health


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/healthz", health.healthz)
