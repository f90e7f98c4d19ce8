"""How often a stranger can make us fetch a key (pure; time passed in, state in memory).

A forged or unsigned-but-claiming request names a keyId; fetching it is the one thing an
attacker can make us do for free. So: at most `per_host` key fetches per host per
`window` seconds; a key whose fetch failed is not fetched again for `negative_ttl`
seconds; a cached key that failed to verify is refetched (the peer may have rotated it) at
most once per `refresh_every` seconds. Bounded: at most `max_entries` keys and hosts are
remembered (the oldest go first).
"""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class KeyFetchBudget:
    per_host: int = 30
    window: float = 60.0
    negative_ttl: float = 300.0
    refresh_every: float = 300.0
    max_entries: int = 10_000
    _fetches: OrderedDict[str, deque[float]] = field(default_factory=OrderedDict)
    _failed: OrderedDict[str, float] = field(default_factory=OrderedDict)
    _refreshed: OrderedDict[str, float] = field(default_factory=OrderedDict)

    def refusal(self, key_id: str, host: str, now: float) -> str | None:
        """Why `key_id` must not be fetched now (a refusal code), or None."""
        failed = self._failed.get(key_id)
        if failed is not None and now - failed < self.negative_ttl:
            return "key_unavailable"
        recent = self._fetches.get(host)
        if recent is not None:
            while recent and now - recent[0] >= self.window:
                recent.popleft()
            if len(recent) >= self.per_host:
                return "key_fetch_budget"
        return None

    def fetched(self, host: str, now: float) -> None:
        recent = self._fetches.get(host)
        if recent is None:
            recent = self._fetches[host] = deque()
        self._fetches.move_to_end(host)
        recent.append(now)
        _trim(self._fetches, self.max_entries)

    def failed(self, key_id: str, now: float) -> None:
        self._failed[key_id] = now
        self._failed.move_to_end(key_id)
        _trim(self._failed, self.max_entries)

    def may_refresh(self, key_id: str, now: float) -> bool:
        """Whether a cached key may be refetched now (and, if so, counts it)."""
        last = self._refreshed.get(key_id)
        if last is not None and now - last < self.refresh_every:
            return False
        self._refreshed[key_id] = now
        self._refreshed.move_to_end(key_id)
        _trim(self._refreshed, self.max_entries)
        return True


def _trim(table: OrderedDict[str, Any], most: int) -> None:
    """Forget the oldest entries beyond `most`."""
    while len(table) > most:
        table.popitem(last=False)
