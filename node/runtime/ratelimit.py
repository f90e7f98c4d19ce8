"""Rate limits on what a stranger can trigger (token buckets in memory, per process; time
passed in, so the policy is pure). Keys are remote hosts and actors, or a keyed hash of a
client's address: no client address is ever stored, logged or kept past the process."""

from __future__ import annotations

import hashlib
import secrets
from collections import OrderedDict
from dataclasses import dataclass, field

_SALT = secrets.token_bytes(16)  # per process: a hashed address means nothing elsewhere


def client_key(address: str | None) -> str:
    """A client's bucket key: a keyed hash of its address, never the address."""
    return hashlib.blake2b(
        (address or "").encode(), key=_SALT, digest_size=12
    ).hexdigest()


@dataclass(slots=True)
class RateLimiter:
    """`per_minute` hits per key, in bursts of up to `burst` (default: per_minute)."""

    per_minute: int
    burst: int | None = None
    max_keys: int = 50_000
    _buckets: OrderedDict[str, tuple[float, float]] = field(default_factory=OrderedDict)

    def waiting(self, key: str, now: float) -> float | None:
        """The seconds `key` must wait before a hit would be allowed (None: none), without
        counting one."""
        if self.per_minute <= 0 or key not in self._buckets:
            return None
        capacity = float(self.burst or self.per_minute)
        rate = self.per_minute / 60.0
        tokens, updated = self._buckets[key]
        tokens = min(capacity, tokens + (now - updated) * rate)
        return None if tokens >= 1.0 else (1.0 - tokens) / rate

    def hit(self, key: str, now: float) -> float | None:
        """Count one hit on `key` at `now` (seconds, monotonic): None when allowed, else
        the seconds to wait before the next one would be (the hit is not counted)."""
        if self.per_minute <= 0:
            return None  # off
        capacity = float(self.burst or self.per_minute)
        rate = self.per_minute / 60.0
        tokens, updated = self._buckets.get(key, (capacity, now))
        tokens = min(capacity, tokens + (now - updated) * rate)
        if tokens < 1.0:
            self._buckets[key] = (tokens, now)
            return (1.0 - tokens) / rate
        self._buckets[key] = (tokens - 1.0, now)
        self._buckets.move_to_end(key)
        while len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        return None


@dataclass(slots=True)
class Limits:
    """The node's limits (SETTINGS: rate_inbox_actor, rate_inbox_host, rate_sign_in)."""

    inbox_actor: RateLimiter
    inbox_host: RateLimiter
    failed_auth: RateLimiter  # wrong tokens and sign-ins, per client
    # passkey ceremonies begun (each stores a challenge), per client
    ceremonies: RateLimiter = field(default_factory=lambda: RateLimiter(30))
    # remote-follow look-ups (each a WebFinger request to another server), per client
    lookups: RateLimiter = field(default_factory=lambda: RateLimiter(20))
