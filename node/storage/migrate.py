"""Numbered plain-SQL migrations, applied in one transaction under an advisory lock."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

import asyncpg
import structlog

log = structlog.get_logger(__name__)

# pg_advisory_xact_lock key: the bytes "movnode" read as an integer
MIGRATION_LOCK_KEY = 0x6D6F766E6F6465
_FILE_RE = re.compile(r"(\d{4})_([a-z0-9_]+)\.sql")


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


@dataclass(frozen=True, slots=True)
class MigrationStatus:
    applied: list[tuple[int, str]]
    pending: list[tuple[int, str]]


def available() -> list[Migration]:
    """The migrations shipped with the package, in order."""
    found = [
        Migration(int(match[1]), match[2], entry.read_text("utf-8"))
        for entry in resources.files("node.storage.migrations").iterdir()
        if (match := _FILE_RE.fullmatch(entry.name))
    ]
    return sorted(found, key=lambda m: m.version)


_CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version integer PRIMARY KEY,
    name text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)"""


async def apply(conn: asyncpg.Connection[Any]) -> list[int]:
    """Apply pending migrations; return the versions applied (empty when up to date).

    Concurrent callers serialise on the advisory lock; the second sees nothing pending.
    """
    applied_now: list[int] = []
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK_KEY)
        await conn.execute(_CREATE_TABLE)
        done = {
            r["version"]
            for r in await conn.fetch("SELECT version FROM schema_migrations")
        }
        for migration in available():
            if migration.version in done:
                continue
            await conn.execute(migration.sql)
            await conn.execute(
                "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                migration.version,
                migration.name,
            )
            applied_now.append(migration.version)
            log.info(
                "migration_applied", version=migration.version, name=migration.name
            )
    return applied_now


async def status(conn: asyncpg.Connection[Any]) -> MigrationStatus:
    """Which migrations this database has, and which it lacks."""
    exists = await conn.fetchval("SELECT to_regclass('schema_migrations') IS NOT NULL")
    rows = (
        await conn.fetch("SELECT version, name FROM schema_migrations ORDER BY version")
        if exists
        else []
    )
    applied = [(r["version"], r["name"]) for r in rows]
    have = {v for v, _ in applied}
    pending = [(m.version, m.name) for m in available() if m.version not in have]
    return MigrationStatus(applied=applied, pending=pending)


async def status_dsn(dsn: str) -> MigrationStatus:
    """Open one connection to `dsn`, read the migration status, close."""
    conn = await asyncpg.connect(dsn)
    try:
        return await status(conn)
    finally:
        await conn.close()


async def apply_dsn(dsn: str) -> list[int]:
    """Open one connection to `dsn`, migrate, close."""
    conn = await asyncpg.connect(dsn)
    try:
        return await apply(conn)
    finally:
        await conn.close()
