import asyncio
from typing import Any

import asyncpg
import pytest

from node.storage import db as dbmod, migrate
from tests.conftest import admin_exec

pytestmark = pytest.mark.db


async def _fresh(pg_dsn: str, name: str) -> str:
    await admin_exec(pg_dsn, f'CREATE DATABASE "{name}"')
    return dbmod.with_database(pg_dsn, name)


async def _count(dsn: str) -> list[Any]:
    conn = await asyncpg.connect(dsn)
    try:
        return [
            r["version"]
            for r in await conn.fetch(
                "SELECT version FROM schema_migrations ORDER BY version"
            )
        ]
    finally:
        await conn.close()


async def test_migrations_apply_once_and_are_idempotent(
    pg_dsn: str, fresh_db_name: str
) -> None:
    dsn = await _fresh(pg_dsn, fresh_db_name)
    first = await migrate.apply_dsn(dsn)
    assert first == [m.version for m in migrate.available()]
    assert await migrate.apply_dsn(dsn) == []
    assert await _count(dsn) == first


async def test_concurrent_starts_migrate_exactly_once(
    pg_dsn: str, fresh_db_name: str
) -> None:
    dsn = await _fresh(pg_dsn, fresh_db_name)
    results = await asyncio.gather(*(migrate.apply_dsn(dsn) for _ in range(4)))
    applied = [r for r in results if r]
    assert len(applied) == 1
    assert sorted(v for r in results for v in r) == [
        m.version for m in migrate.available()
    ]
    assert await _count(dsn) == applied[0]


async def test_status_lists_applied_and_pending(
    pg_dsn: str, fresh_db_name: str
) -> None:
    dsn = await _fresh(pg_dsn, fresh_db_name)
    conn = await asyncpg.connect(dsn)
    try:
        before = await migrate.status(conn)
        assert before.applied == []
        assert [v for v, _ in before.pending] == [
            m.version for m in migrate.available()
        ]
        await migrate.apply(conn)
        after = await migrate.status(conn)
        assert after.pending == []
        assert after.applied[0] == (1, "init")
    finally:
        await conn.close()


async def test_failed_migration_leaves_nothing_behind(
    pg_dsn: str, fresh_db_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    dsn = await _fresh(pg_dsn, fresh_db_name)
    good = migrate.available()
    broken = [
        *good,
        migrate.Migration(
            9999, "broken", "CREATE TABLE ok_then (x int); SELECT no_such_function();"
        ),
    ]
    monkeypatch.setattr(migrate, "available", lambda: broken)
    with pytest.raises(asyncpg.UndefinedFunctionError):
        await migrate.apply_dsn(dsn)
    conn = await asyncpg.connect(dsn)
    try:
        assert await conn.fetchval("SELECT to_regclass('schema_migrations')") is None
        assert await conn.fetchval("SELECT to_regclass('ok_then')") is None
    finally:
        await conn.close()
