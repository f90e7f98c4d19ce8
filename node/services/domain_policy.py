"""The domain policy every inbox request and delivery consults, held in memory.

The block and allow lists change rarely and are read on every request: each process keeps
them, and drops them when PostgreSQL says they changed (Channel.DOMAINS, sent in the
changing transaction) or when its LISTEN connection was lost (it may have missed a
notification). A load that overlaps a change is not kept, and no load is kept longer than
MAX_AGE seconds (a safety net: a change reaches every process within milliseconds).
"""

from __future__ import annotations

import time
from typing import Any

from federation import domains
from node.storage import domains as store
from node.storage.db import Pool

MAX_AGE = 30.0


class DomainPolicy:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool
        self._lists: tuple[frozenset[str], frozenset[str]] | None = None
        self._loaded_at = 0.0
        self._version = 0
        self.loads = 0  # how many times the lists were read from the database

    @property
    def cached(self) -> bool:
        return self._lists is not None

    def invalidate(self, *_: Any) -> None:
        """The lists changed (a LISTEN handler: any arguments)."""
        self._version += 1
        self._lists = None

    async def _current(self) -> tuple[frozenset[str], frozenset[str]]:
        if self._lists is not None and time.monotonic() - self._loaded_at < MAX_AGE:
            return self._lists
        version = self._version
        lists = await store.lists(self._pool)
        self.loads += 1
        if version == self._version:
            self._lists, self._loaded_at = lists, time.monotonic()
        return lists

    async def refused_among(
        self, hosts: list[str], *, allowlist_mode: bool
    ) -> list[str]:
        """The `hosts` we do not federate with."""
        blocked, allowed = await self._current()
        return domains.refused(
            hosts, blocked=blocked, allowed=allowed, allowlist_mode=allowlist_mode
        )
