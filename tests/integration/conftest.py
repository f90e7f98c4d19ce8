"""Fixtures shared by the multi-node tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from node.runtime import appkeys
from node.services.actors import create_actor
from node.storage import tokens
from tests.conftest import serve_peer
from tests.integration.nodes import Nodes
from tests.peer import Peer

READER_HOST = "127.0.0.9"


@pytest.fixture
async def nodes(pg_dsn: str, settings_for: Any, tmp_path: Path) -> AsyncIterator[Nodes]:
    """Start real nodes on loopback addresses; all stopped and their databases dropped after."""
    made = Nodes(pg_dsn, settings_for, tmp_path)
    try:
        yield made
    finally:
        await made.close()


@pytest.fixture
async def reader(aiohttp_server: Any) -> Peer:
    """A Mastodon-like reader on its own host who follows confederation replicas."""
    reader: Peer = await serve_peer(aiohttp_server, READER_HOST, "reader")
    return reader


@pytest.fixture
async def ui(make_client: Any) -> Any:
    """A node with group `tenants` (and its token as `.token`) and cluster `housing`,
    for the publishing UI."""
    client = await make_client()
    pool = client.app[appkeys.DB]
    group = await create_actor(
        pool, kind="group", name="tenants", display_name="Tenants"
    )
    await create_actor(pool, kind="cluster", name="housing")
    _id, client.token = await tokens.create(pool, local_actor_id=group.id, label="t")
    return client
