"""Shared fixtures: one embedded PostgreSQL per session, a fresh database per test."""

from __future__ import annotations

import asyncio
import inspect
import os
import socket
import sys
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import structlog

from node.config import Settings
from node.logging import configure_logging
from node.storage import db as dbmod, migrate
from node.storage.embedded import running

TEMPLATE = "movnode_template"


@pytest.fixture(autouse=True, scope="session")
def _logging() -> None:
    configure_logging(json=False, level="debug", cache=False)


async def admin_exec(dsn: str, sql: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def _build_template(dsn: str) -> None:
    await admin_exec(dsn, f'DROP DATABASE IF EXISTS "{TEMPLATE}" WITH (FORCE)')
    await admin_exec(dsn, f'CREATE DATABASE "{TEMPLATE}"')
    await migrate.apply_dsn(dbmod.with_database(dsn, TEMPLATE))


@pytest.fixture(scope="session")
def pg_dsn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The server DSN: DATABASE_URL when set, else one embedded PostgreSQL for the session."""
    if url := os.environ.get("DATABASE_URL"):
        asyncio.run(_build_template(url))
        yield url
        return
    with running(tmp_path_factory.mktemp("pg") / "pgdata") as dsn:
        asyncio.run(_build_template(dsn))
        yield dsn


@pytest.fixture
def fresh_db_name(pg_dsn: str) -> Iterator[str]:
    """A database name for this test; dropped afterwards if it was created."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    yield name
    asyncio.run(admin_exec(pg_dsn, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
async def db_dsn(pg_dsn: str) -> AsyncIterator[str]:
    """A fresh database cloned from the migrated template."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    await admin_exec(pg_dsn, f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}"')
    try:
        yield dbmod.with_database(pg_dsn, name)
    finally:
        await admin_exec(pg_dsn, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def db(db_dsn: str) -> AsyncIterator[asyncpg.Pool[Any]]:
    pool = await dbmod.create_pool(db_dsn, max_size=4)
    try:
        yield pool
    finally:
        await pool.close()


@pytest.fixture
def settings_for(tmp_path: Path) -> Callable[..., Settings]:
    """Settings for an in-process app against a given database."""

    def make(dsn: str, **overrides: Any) -> Settings:
        base = Settings(
            data_dir=tmp_path / "data", database_url=dsn, allow_private_network=True
        )
        return replace(base, **overrides)

    return make


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def log_capture() -> Iterator[list[Any]]:
    with structlog.testing.capture_logs() as logs:
        yield logs


@pytest.fixture
def make_client(
    db_dsn: str, settings_for: Callable[..., Settings], aiohttp_client: Any
) -> Callable[..., Any]:
    """Start the node app against this test's database; returns an aiohttp TestClient.

    `db_dsn` comes first so the database outlives the app's pool at teardown.
    """

    async def make(**overrides: Any) -> Any:
        from node.runtime.app import create_app

        return await aiohttp_client(create_app(settings_for(db_dsn, **overrides)))

    return make


def node_env(dsn: str, **settings: str) -> dict[str, str]:
    """Environment for `python -m node …` on the database `dsn`: this process's
    environment without any MOVEMENT_NODE_ setting of its own, then `settings` (named as
    the variables are, MOVEMENT_NODE_…)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOVEMENT_NODE_")}
    env.update(DATABASE_URL=dsn, **settings)
    return env


def cli_env(settings: Settings, *, private: bool = False) -> dict[str, str]:
    """Environment for running `python -m node` against an in-process node's database."""
    env = node_env(
        settings.database_url or "",
        MOVEMENT_NODE_URL=settings.url,
        MOVEMENT_NODE_LOG_LEVEL="warning",
    )
    if private:
        env["MOVEMENT_NODE_ALLOW_PRIVATE_NETWORK"] = "true"
    return env


async def run_cli(
    settings: Settings,
    *args: str,
    private: bool = False,
    env: dict[str, str] | None = None,
) -> tuple[int, str, str]:
    """Run `python -m node ARGS` against an in-process node's database; (exit code, stdout, stderr)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "node",
        *args,
        env=cli_env(settings, private=private) | (env or {}),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    return proc.returncode or 0, out.decode(), err.decode()


async def until(
    predicate: Callable[[], Any],
    *,
    timeout: float = 15.0,
    interval: float = 0.05,
    what: str = "condition",
) -> None:
    """Wait for `predicate()` (or the value it awaits: a database query…) to be truthy
    (background work settling); fail after `timeout`."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        held = predicate()
        if inspect.isawaitable(held):
            held = await held
        if held:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{what} not met in time")
        await asyncio.sleep(interval)


async def db_value(pool: Any, sql: str, expected: Any, *, timeout: float = 5.0) -> Any:
    """Poll `sql` until it yields `expected` (background work settling); return the last value."""
    deadline = asyncio.get_running_loop().time() + timeout
    value = await pool.fetchval(sql)
    while value != expected and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.05)
        value = await pool.fetchval(sql)
    return value


PEER_HOST = "127.0.0.3"


async def serve_peer(aiohttp_server: Any, host: str, actor: str) -> Any:
    """A remote fediverse server (tests.peer.Peer) on `host` with one actor, served."""
    from tests.peer import Peer

    port = free_port(host)
    p = Peer(f"http://{host}:{port}")
    p.add(actor)
    await aiohttp_server(p.app(), host=host, port=port)
    return p


@pytest.fixture
async def peer(aiohttp_server: Any) -> Any:
    """A remote fediverse server on 127.0.0.3 with one actor, alice."""
    return await serve_peer(aiohttp_server, PEER_HOST, "alice")
