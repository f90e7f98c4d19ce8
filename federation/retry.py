"""When to try again (pure): the retry schedules of the delivery queue, the inbox
processors and the background loops, in one place.

Each is exponential: `base · factor^(attempt - 1)`, capped. Deliveries add full jitter
(so a host's failures do not retry in lockstep) and give up by age (delivery/policy);
received activities retry on a fixed schedule a few times; loops back off while they fail.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

_JITTER = random.Random()  # noqa: S311 (jitter, not secrecy)


@dataclass(frozen=True, slots=True)
class Schedule:
    base: float  # seconds before the second attempt
    factor: float
    cap: float  # no delay above this many seconds
    jitter: tuple[float, float] | None = None  # the delay is scaled by uniform(lo, hi)
    attempts: int | None = None  # give up after this many (None: decided elsewhere)

    def delay(self, attempt: int, *, rng: random.Random | None = None) -> float:
        """Seconds to wait after the `attempt`-th failure (attempt counts from 1)."""
        exponent = min(max(attempt - 1, 0), 40)
        ceiling = min(self.cap, self.base * self.factor**exponent)
        if self.jitter is None:
            return ceiling
        lo, hi = self.jitter
        return ceiling * (rng if rng is not None else _JITTER).uniform(lo, hi)

    def exhausted(self, attempt: int) -> bool:
        """Whether the `attempt`-th failure was the last try."""
        return self.attempts is not None and attempt >= self.attempts


# Deliveries: 60 s · 2^n with jitter, capped at 12 h; given up after 7 days (policy).
DELIVERY = Schedule(base=60.0, factor=2.0, cap=12 * 3600.0, jitter=(0.5, 1.0))
# A received activity whose processing failed: 30 s, 2, 8, 32 min, then kept with its error.
INBOX = Schedule(base=30.0, factor=4.0, cap=32 * 60.0, attempts=5)
# A background loop that raised: 1 s, doubling to a minute, until a round succeeds.
LOOP = Schedule(base=1.0, factor=2.0, cap=60.0)
