"""What to do after a delivery attempt: a pure decision from status, headers and time.

Backoff is exponential with full jitter (60 s · 2^attempt, capped at 12 h) for about a week,
as Mastodon and Fedify do; 410 Gone drops the recipient; 429 honours Retry-After.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from federation import retry

GIVE_UP_AFTER = timedelta(days=7)
MAX_RETRY_AFTER = timedelta(days=1)
# A 401 is usually a clock, key or scheme problem on one side (a peer that has not yet
# refetched our rotated key, a clock off by an hour): tried a few times on the normal
# backoff (each attempt signs afresh, with RFC 9421 on the retry), then given up.
MAX_UNAUTHORIZED = 4


@dataclass(frozen=True, slots=True)
class Done:
    """Delivered (2xx)."""


@dataclass(frozen=True, slots=True)
class Retry:
    at: datetime
    reason: str


@dataclass(frozen=True, slots=True)
class GiveUp:
    reason: str


@dataclass(frozen=True, slots=True)
class RemoveRecipient:
    """410 Gone: the recipient no longer exists; stop following/delivering."""

    reason: str


Outcome = Done | Retry | GiveUp | RemoveRecipient


def backoff(attempt: int, *, rng: random.Random | None = None) -> timedelta:
    """Delay before attempt `attempt + 1` (attempt counts from 1): full jitter over the
    exponential cap (federation.retry.DELIVERY)."""
    return timedelta(seconds=retry.DELIVERY.delay(attempt, rng=rng))


def retry_after(value: str | None, now: datetime) -> datetime | None:
    """Parse Retry-After (delta-seconds or an HTTP date), capped at a day."""
    if not value:
        return None
    value = value.strip()
    when: datetime | None = None
    if value.isdigit():
        when = now + timedelta(seconds=int(value))
    else:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
    return min(max(when, now), now + MAX_RETRY_AFTER)


def next_step(
    *,
    attempt: int,
    status: int | None,
    headers: Mapping[str, str],
    now: datetime,
    first_attempt_at: datetime,
    rng: random.Random | None = None,
) -> Outcome:
    """Decide after attempt number `attempt`; `status` is None for timeouts and connection errors."""
    if status is not None and 200 <= status < 300:
        return Done()
    if status == 410:
        return RemoveRecipient("410 Gone")
    if status == 401 and attempt >= MAX_UNAUTHORIZED:
        return GiveUp(f"HTTP 401 after {attempt} attempts")
    if status is not None and 400 <= status < 500 and status not in (401, 408, 429):
        return GiveUp(f"HTTP {status}")
    reason = "no response" if status is None else f"HTTP {status}"
    at = now + backoff(attempt, rng=rng)
    if status == 429:
        at = (
            retry_after(headers.get("retry-after") or headers.get("Retry-After"), now)
            or at
        )
    if at - first_attempt_at > GIVE_UP_AFTER:
        return GiveUp(f"{reason}; retried for {GIVE_UP_AFTER.days} days")
    return Retry(at, reason)
