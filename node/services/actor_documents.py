"""Local actors' documents, held in memory per process, serialized once.

Peers fetch our actor documents far more often than they change: for each key verification,
each delivery they check, each profile view. Each process keeps what it built, by name,
and drops everything when PostgreSQL says a key changed (Channel.KEYS: a rotation, a proof
key added) or when its LISTEN connection was lost (it may have missed a notification). A
load that overlaps a change is not kept, no entry is kept longer than MAX_AGE seconds (a
rotated-out key leaves the document when its grace period ends), and an unknown name is
never remembered (an actor created a moment later is found at once).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from node.domain.actors import LocalActor

MAX_AGE = 30.0
MAX_ENTRIES = 10_000  # actors a node serves; past that the oldest entry goes


@dataclass(frozen=True, slots=True)
class ActorDocument:
    actor: LocalActor
    full: bytes  # the JSON document for signed fetches (or with authorized fetch off)
    bare: (
        bytes  # the technical fields only, for unsigned fetches under authorized fetch
    )
    cacheable: bool = True  # False while a replica has no confederation yet
    loaded_at: float = field(default_factory=time.monotonic)


class ActorDocuments:
    def __init__(self) -> None:
        self._entries: dict[str, ActorDocument] = {}
        self._version = 0
        self.loads = 0  # how many documents were built from the database

    def invalidate(self, *_: Any) -> None:
        """Keys changed (a LISTEN handler: any arguments)."""
        self._version += 1
        self._entries.clear()

    async def get(
        self, name: str, load: Callable[[], Awaitable[ActorDocument | None]]
    ) -> ActorDocument | None:
        """The document of local actor `name`, built by `load` when not held (None: no
        such actor)."""
        held = self._entries.get(name)
        if held is not None and time.monotonic() - held.loaded_at < MAX_AGE:
            return held
        version = self._version
        built = await load()
        self.loads += 1
        if built is None or not built.cacheable or version != self._version:
            self._entries.pop(name, None)
            return built
        if name not in self._entries and len(self._entries) >= MAX_ENTRIES:
            self._entries.pop(next(iter(self._entries)))
        self._entries[name] = built
        return built
