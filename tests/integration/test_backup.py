"""`movement-node backup` and `restore` round-trip a node: actors and keys, follows, objects,
tokens and deliveries still pending all come back, into an empty database or a new data
directory with its own embedded PostgreSQL; restoring over data is refused."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from node.runtime import appkeys
from node.storage import tokens
from node.storage.db import with_database
from tests.conftest import admin_exec, db_value, run_cli
from tests.integration.test_movement import CALL, _follow, _publish
from tests.peer import Peer

pytestmark = [pytest.mark.db, pytest.mark.integration]
DEAD_INBOX = "http://127.0.0.9:9/inbox"  # nothing listens: its deliveries stay pending


async def add_unreachable_follower(pool: Any, group: str) -> None:
    """A follower of `group` whose server never answers: deliveries to it stay pending."""
    await pool.execute(
        """INSERT INTO followers (local_actor_id, follower, state, inbox)
           SELECT id, 'http://127.0.0.9:9/users/gone', 'accepted', $2
           FROM local_actors WHERE name = $1""",
        group,
        DEAD_INBOX,
    )


async def snapshot(dsn: str) -> dict[str, list[str]]:
    """Every row of every table of ours, as sorted text: two databases with the same
    snapshot hold the same data."""
    conn = await asyncpg.connect(dsn)
    try:
        tables = [
            r["tablename"]
            for r in await conn.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
            )
        ]
        return {
            t: sorted(
                r["row"]
                for r in await conn.fetch(f'SELECT "{t}"::text AS row FROM "{t}"')
            )
            for t in tables
        }
    finally:
        await conn.close()


async def _empty_database(pg_dsn: str, made: list[str]) -> str:
    name = f"restore_{uuid.uuid4().hex[:10]}"
    await admin_exec(pg_dsn, f'CREATE DATABASE "{name}"')
    made.append(name)
    return with_database(pg_dsn, name)


@pytest.fixture
async def empty_databases(pg_dsn: str) -> Any:
    made: list[str] = []

    async def make() -> str:
        return await _empty_database(pg_dsn, made)

    yield make
    for name in made:
        await admin_exec(pg_dsn, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def test_backup_and_restore_lose_nothing(
    make_client: Any, peer: Peer, empty_databases: Any, tmp_path: Path
) -> None:
    node = await make_client()
    settings = node.app[appkeys.SETTINGS]
    pool = node.app[appkeys.DB]
    for args in (
        ("group", "create", "tenants"),
        ("cluster", "create", "housing"),
        ("cluster", "create", "transport"),
    ):
        code, _out, err = await run_cli(settings, *args)
        assert code == 0, err
    await _follow(node, peer, "alice", "tenants")
    await add_unreachable_follower(pool, "tenants")
    group = await pool.fetchval("SELECT id FROM local_actors WHERE name = 'tenants'")
    _id, token = await tokens.create(pool, local_actor_id=group, label="phone")
    assert (await _publish(node, token, "calls", CALL)).status == 201
    pending = f"SELECT count(*) > 0 FROM deliveries WHERE inbox = '{DEAD_INBOX}' AND attempts > 0"
    assert await db_value(pool, pending, True, timeout=15) is True
    await node.close()  # a still database, so the two snapshots can be compared
    before = await snapshot(settings.database_url)
    assert before["deliveries"], "a delivery is still pending"
    for table in ("objects", "followers", "api_tokens", "local_actors", "outbox"):
        assert before[table], table

    backup = tmp_path / "node.dump"
    code, out, err = await run_cli(settings, "backup", str(backup))
    assert code == 0, err
    assert "private keys" in out
    # progress goes to stderr: the step, then its duration
    assert "dumping the database…" in err
    assert "dumping the database: done in" in err
    assert backup.stat().st_mode & 0o077 == 0, (
        "the backup is readable by its owner only"
    )

    target = await empty_databases()
    code, _out, err = await run_cli(
        settings, "restore", str(backup), env={"DATABASE_URL": target}
    )
    assert code == 0, err
    assert await snapshot(target) == before

    code, _out, err = await run_cli(
        settings, "restore", str(backup), env={"DATABASE_URL": target}
    )
    assert code == 1
    assert "not empty" in err
    assert f"restoring {backup}: failed after" in err
    assert await snapshot(target) == before


async def test_restore_into_a_new_data_directory_with_its_own_postgres(
    db_dsn: str, settings_for: Any, empty_databases: Any, tmp_path: Path
) -> None:
    settings = settings_for(db_dsn)
    code, _out, err = await run_cli(settings, "group", "create", "tenants")
    assert code == 0, err
    before = await snapshot(db_dsn)
    backup = tmp_path / "node.dump"
    assert (await run_cli(settings, "backup", str(backup)))[0] == 0

    # the operator's path: a new machine, an empty data directory, the embedded PostgreSQL
    fresh = {"DATABASE_URL": "", "MOVEMENT_NODE_DATA_DIR": str(tmp_path / "new-node")}
    code, out, err = await run_cli(settings, "restore", str(backup), env=fresh)
    assert code == 0, err
    assert "restored" in out
    code, out, err = await run_cli(settings, "group", "list", env=fresh)
    assert code == 0, err
    assert "tenants" in out
    # and what that data directory holds is the whole node
    again = tmp_path / "again.dump"
    assert (await run_cli(settings, "backup", str(again), env=fresh))[0] == 0
    target = await empty_databases()
    code, _out, err = await run_cli(
        settings, "restore", str(again), env={"DATABASE_URL": target}
    )
    assert code == 0, err
    assert await snapshot(target) == before


async def test_restore_of_a_missing_or_broken_file_changes_nothing(
    db_dsn: str, settings_for: Any, empty_databases: Any, tmp_path: Path
) -> None:
    settings = settings_for(db_dsn)
    target = await empty_databases()
    code, _out, err = await run_cli(
        settings, "restore", str(tmp_path / "nope.dump"), env={"DATABASE_URL": target}
    )
    assert code == 1
    assert "no such backup file" in err
    broken = tmp_path / "broken.dump"
    broken.write_bytes(b"PGDMP this is not a dump")
    code, _out, err = await run_cli(
        settings, "restore", str(broken), env={"DATABASE_URL": target}
    )
    assert code == 1
    assert "pg_restore failed" in err
    assert await snapshot(target) == {}
