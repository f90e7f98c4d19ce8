"""A per-host circuit breaker as a value: record results, ask whether to try."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

OPEN_AFTER = 8  # consecutive failures
COOLDOWN = timedelta(minutes=5)
MAX_COOLDOWN = timedelta(hours=6)


@dataclass(frozen=True, slots=True)
class Breaker:
    failures: int = 0
    open_until: datetime | None = None

    def allows(self, now: datetime) -> bool:
        """Closed, or open but its cooldown is over (a probe may go through)."""
        return self.open_until is None or now >= self.open_until

    def record(self, ok: bool, now: datetime) -> Breaker:
        if ok:
            return Breaker()
        failures = self.failures + 1
        if failures < OPEN_AFTER:
            return replace(self, failures=failures)
        cooldown = min(MAX_COOLDOWN, COOLDOWN * (2 ** min(failures - OPEN_AFTER, 10)))
        return Breaker(failures=failures, open_until=now + cooldown)
