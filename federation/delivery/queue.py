"""The delivery queue's interface and its job value (storage-independent)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class Job:
    id: int
    activity_id: str
    inbox: str
    host: str
    signer: str
    body: dict[str, Any]
    attempts: int
    created_at: datetime
    # the database's clock when the row was claimed: every due time is computed from it, so
    # a process clock that is off never makes a host be retried early (or late)
    claimed_at: datetime | None = None
    troubled: bool = False  # the host had a breaker row (failing, open or half-open)


class DeliveryQueue(Protocol):
    async def claim(
        self, limit: int, lease: timedelta, *, per_host: int
    ) -> list[Job]: ...
    async def complete(self, job: Job) -> None: ...
    async def complete_many(self, ids: list[int]) -> None: ...
    async def reschedule(
        self, job: Job, at: datetime, *, status: int | None, error: str
    ) -> None: ...
    async def bury(self, job: Job, reason: str) -> None: ...
    async def record_host(self, host: str, ok: bool) -> None: ...
