"""Every web.AppKey of the application, declared once."""

from __future__ import annotations

import asyncpg
from aiohttp import web

from node.config import Settings

SETTINGS = web.AppKey("settings", Settings)
DB = web.AppKey("db", asyncpg.Pool)  # asyncpg.Pool[asyncpg.Record]
DSN = web.AppKey("dsn", str)
