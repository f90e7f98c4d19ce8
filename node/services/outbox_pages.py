"""Pages that change only when something is published — outbox pages, an actor's HTML
page — held in memory per process, serialized once.

Peers page through a group's outbox when they first meet it (Mastodon fetches the first page
for every new follower), people open a group's page from a shared link, and both change only
when something is published. Each process keeps the bytes it served, by key, and drops them all when PostgreSQL says a public
activity entered an outbox (Channel.OUTBOX) or its LISTEN connection was lost. A page is
also served only while the newest outbox row is the one it was built after (one index
lookup: a request that follows a publication at once, before the notification arrives,
sees it). Nothing is kept longer than MAX_AGE seconds; a build that overlaps a change is
not kept.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

MAX_AGE = 30.0
MAX_ENTRIES = 5_000


class OutboxPages:
    def __init__(self) -> None:
        self._entries: dict[tuple[Any, ...], tuple[bytes, float, int]] = {}
        self._version = 0
        self.loads = 0

    def invalidate(self, *_: Any) -> None:
        """A public activity was published (a LISTEN handler: any arguments)."""
        self._version += 1
        self._entries.clear()

    async def get(
        self,
        key: tuple[Any, ...],
        newest: int,
        build: Callable[[], Awaitable[bytes]],
    ) -> bytes:
        """The page `key`, built after outbox row `newest`, from memory or by `build`."""
        held = self._entries.get(key)
        if (
            held is not None
            and held[2] == newest
            and time.monotonic() - held[1] < MAX_AGE
        ):
            return held[0]
        version = self._version
        body = await build()
        self.loads += 1
        if version == self._version:
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.pop(next(iter(self._entries)))
            self._entries[key] = (body, time.monotonic(), newest)
        return body
