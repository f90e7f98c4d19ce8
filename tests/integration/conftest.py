"""Fixtures shared by the multi-node tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.nodes import Nodes


@pytest.fixture
async def nodes(pg_dsn: str, settings_for: Any, tmp_path: Path) -> AsyncIterator[Nodes]:
    """Start real nodes on loopback addresses; all stopped and their databases dropped after."""
    made = Nodes(pg_dsn, settings_for, tmp_path)
    try:
        yield made
    finally:
        await made.close()
