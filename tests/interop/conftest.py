"""Fixtures of the interop suite: the test CA, and nodes served as their own processes
(each at https://ADDRESS/ on a loopback address of its own, as activityrelay requires)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest

from node.storage.db import with_database
from tests.conftest import TEMPLATE, admin_exec
from tests.interop.peers import ADDRESSES, ServedNode, served_node
from tests.tls import tls_files


@pytest.fixture
def tls(tmp_path: Path) -> tuple[Path, Path]:
    """(CA file, certificate chain for the suite's loopback addresses)."""
    return tls_files(tmp_path, ADDRESSES)


@pytest.fixture
async def served(
    pg_dsn: str, tls: tuple[Path, Path]
) -> AsyncIterator[Callable[[str], Any]]:
    """Start `movement-node serve` processes, each on a fresh database; all stopped after."""
    databases: list[str] = []
    free = list(ADDRESSES[1:-1])  # the last is the relay's
    async with AsyncExitStack() as stack:

        async def start(name: str) -> ServedNode:
            """A node of its own at https://127.0.0.2x/."""
            db = f"i_{name}_{uuid.uuid4().hex[:8]}"
            await admin_exec(pg_dsn, f'CREATE DATABASE "{db}" TEMPLATE "{TEMPLATE}"')
            databases.append(db)
            return await stack.enter_async_context(
                served_node(with_database(pg_dsn, db), tls, name, free.pop(0))
            )

        yield start
    for db in databases:
        await admin_exec(pg_dsn, f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
