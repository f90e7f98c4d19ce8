"""A per-host circuit breaker as a value: record results, ask whether and how much to try.

Closed: every delivery goes (up to the per-host cap); consecutive failures are counted.
After OPEN_AFTER of them it opens once: nothing is tried until its cooldown is over.
Failures heard while it is open (deliveries that were in flight when it opened) change
nothing. When the cooldown is over it is half-open: one delivery at a time goes as a probe
(the queue's claim caps the host at PROBES); a success closes it, a failure opens it again
with the next cooldown. The cooldown doubles per opening, not per failure, from COOLDOWN
to MAX_COOLDOWN. The operator can close it at once (`movement-node deliveries retry --host`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

OPEN_AFTER = 8  # consecutive failures
COOLDOWN = timedelta(minutes=5)
MAX_COOLDOWN = timedelta(hours=6)
PROBES = 1  # deliveries in flight to a half-open host

State = Literal["closed", "open", "half_open"]


def cooldown(openings: int) -> timedelta:
    """How long the `openings`-th opening in a row lasts (counts from 1)."""
    doubled: timedelta = COOLDOWN * (2 ** min(max(openings - 1, 0), 16))
    return min(MAX_COOLDOWN, doubled)


@dataclass(frozen=True, slots=True)
class Breaker:
    failures: int = 0  # consecutive failures while closed
    openings: int = 0  # openings since the last success
    open_until: datetime | None = (
        None  # set once opened; kept (in the past) when half-open
    )

    def state(self, now: datetime) -> State:
        if self.open_until is None:
            return "closed"
        return "open" if now < self.open_until else "half_open"

    def allows(self, now: datetime) -> bool:
        """Closed, or half-open (a probe may go through)."""
        return self.state(now) != "open"

    def record(self, ok: bool, now: datetime) -> Breaker:
        if ok:
            return Breaker()
        match self.state(now):
            case "open":  # in flight when it opened: already counted by the opening
                return self
            case "half_open":  # the probe failed
                return self._open(now)
            case "closed":
                if self.failures + 1 < OPEN_AFTER:
                    return Breaker(failures=self.failures + 1, openings=self.openings)
                return self._open(now)

    def _open(self, now: datetime) -> Breaker:
        openings = self.openings + 1
        return Breaker(
            failures=0, openings=openings, open_until=now + cooldown(openings)
        )
