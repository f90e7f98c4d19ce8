"""EDGE: the delivery queue in PostgreSQL (FOR UPDATE SKIP LOCKED; DDL in node migrations).

Claiming sets a lease; a worker that dies leaves the lease to expire and the row is claimed
again (at-least-once). Rows are deleted only after a 2xx, or moved to dead_deliveries.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from federation.delivery.breaker import Breaker
from federation.delivery.queue import Job
from federation.origin import authority

NOTIFY_CHANNEL = "deliveries"
WORKER_LOCK_CLASS = 28270  # advisory-lock namespace for live delivery workers


Connection: TypeAlias = "asyncpg.Connection[Any] | PoolConnectionProxy[Any]"


async def enqueue_many(
    conn: Connection,
    *,
    activity_id: str,
    body: Mapping[str, Any],
    signer: str,
    inboxes: Iterable[str],
) -> int:
    """Add one row per inbox (inside the caller's transaction); returns how many were new."""
    targets = list(inboxes)
    if not targets:
        return 0
    # the activity, signer and body go over the wire once; the server repeats them per row
    result = await conn.fetchval(
        """WITH ins AS (
             INSERT INTO deliveries (activity_id, inbox, host, signer, body)
             SELECT $1, t.inbox, t.host, $2, $3::jsonb
             FROM unnest($4::text[], $5::text[]) AS t(inbox, host)
             ON CONFLICT (activity_id, inbox) DO NOTHING RETURNING 1)
           SELECT count(*) FROM ins""",
        activity_id,
        signer,
        body,
        targets,
        [authority(inbox) for inbox in targets],
    )
    await conn.execute(f"NOTIFY {NOTIFY_CHANNEL}")
    return int(result)


class PgDeliveryQueue:
    """DeliveryQueue over an asyncpg pool."""

    def __init__(self, pool: asyncpg.Pool[Any], *, worker_id: int = 0) -> None:
        self._pool = pool
        self.worker_id = worker_id

    async def register(self, conn: Connection) -> None:
        """Hold this worker's liveness lock on `conn` (a connection kept for the worker's life)."""
        await conn.execute(
            "SELECT pg_advisory_lock($1, $2)", WORKER_LOCK_CLASS, self.worker_id
        )

    async def reclaim_orphans(self) -> int:
        """Release leases held by workers that are no longer alive; returns how many."""
        done = await self._pool.execute(
            """UPDATE deliveries SET lease_until = NULL, leased_by = NULL
               WHERE leased_by IS NOT NULL AND leased_by NOT IN (
                 SELECT objid::bigint::integer FROM pg_locks
                 WHERE locktype = 'advisory' AND classid = $1 AND objsubid = 2 AND granted)""",
            WORKER_LOCK_CLASS,
        )
        return int(done.split()[-1])

    async def claim(self, limit: int, lease: timedelta) -> list[Job]:
        rows = await self._pool.fetch(
            """UPDATE deliveries d SET lease_until = now() + $2, leased_by = $3, attempts = d.attempts + 1
               WHERE d.id IN (
                 SELECT id FROM deliveries q
                 WHERE q.next_attempt_at <= now() AND (q.lease_until IS NULL OR q.lease_until < now())
                   AND NOT EXISTS (SELECT 1 FROM host_breakers b WHERE b.host = q.host AND b.open_until > now())
                 ORDER BY q.next_attempt_at, q.id LIMIT $1 FOR UPDATE SKIP LOCKED)
               RETURNING d.id, d.activity_id, d.inbox, d.host, d.signer, d.body, d.attempts, d.created_at""",
            limit,
            lease,
            self.worker_id,
        )
        return [
            Job(
                r["id"],
                r["activity_id"],
                r["inbox"],
                r["host"],
                r["signer"],
                r["body"],
                r["attempts"],
                r["created_at"],
            )
            for r in rows
        ]

    async def complete(self, job: Job) -> None:
        await self._pool.execute("DELETE FROM deliveries WHERE id = $1", job.id)

    async def complete_many(self, ids: list[int]) -> None:
        await self._pool.execute(
            "DELETE FROM deliveries WHERE id = ANY($1::bigint[])", ids
        )

    async def reschedule(
        self, job: Job, at: datetime, *, status: int | None, error: str
    ) -> None:
        await self._pool.execute(
            """UPDATE deliveries SET next_attempt_at = $2, lease_until = NULL, leased_by = NULL,
                 last_status = $3, last_error = $4 WHERE id = $1""",
            job.id,
            at,
            status,
            error[:500],
        )

    async def bury(self, job: Job, reason: str) -> None:
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute(
                """INSERT INTO dead_deliveries (id, activity_id, inbox, host, signer, body, attempts, created_at, reason)
                   SELECT id, activity_id, inbox, host, signer, body, attempts, created_at, $2 FROM deliveries WHERE id = $1
                   ON CONFLICT (id) DO NOTHING""",
                job.id,
                reason[:500],
            )
            await conn.execute("DELETE FROM deliveries WHERE id = $1", job.id)

    async def record_host(self, host: str, ok: bool, now: datetime) -> None:
        async with self._pool.acquire() as conn, conn.transaction():
            row = await conn.fetchrow(
                "SELECT failures, open_until FROM host_breakers WHERE host = $1 FOR UPDATE",
                host,
            )
            if row is None and ok:
                return
            state = (
                Breaker()
                if row is None
                else Breaker(row["failures"], row["open_until"])
            )
            new = state.record(ok, now)
            await conn.execute(
                """INSERT INTO host_breakers (host, failures, open_until) VALUES ($1, $2, $3)
                   ON CONFLICT (host) DO UPDATE SET failures = EXCLUDED.failures, open_until = EXCLUDED.open_until""",
                host,
                new.failures,
                new.open_until,
            )

    async def retry_dead(self, ids: list[int] | None = None) -> int:
        """Move buried deliveries back to the queue (all, or the given ids)."""
        async with self._pool.acquire() as conn, conn.transaction():
            moved = await conn.fetch(
                """DELETE FROM dead_deliveries WHERE ($1::bigint[] IS NULL OR id = ANY($1))
                   RETURNING activity_id, inbox, host, signer, body""",
                ids,
            )
            for r in moved:
                await conn.execute(
                    """INSERT INTO deliveries (activity_id, inbox, host, signer, body) VALUES ($1, $2, $3, $4, $5)
                       ON CONFLICT (activity_id, inbox) DO NOTHING""",
                    r["activity_id"],
                    r["inbox"],
                    r["host"],
                    r["signer"],
                    r["body"],
                )
        return len(moved)

    async def dead(self, *, limit: int = 200) -> list[asyncpg.Record]:
        """Deliveries that gave up, newest first (id, inbox, attempts, died_at, reason)."""
        return await self._pool.fetch(
            """SELECT id, inbox, attempts, died_at, reason FROM dead_deliveries
               ORDER BY died_at DESC LIMIT $1""",
            limit,
        )

    async def pending(self) -> tuple[int, datetime | None]:
        """How many deliveries wait (or are in flight), and since when the oldest."""
        row = await self._pool.fetchrow(
            "SELECT count(*) AS n, min(created_at) AS oldest FROM deliveries"
        )
        return (0, None) if row is None else (int(row["n"]), row["oldest"])
