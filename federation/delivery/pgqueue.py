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

from federation.delivery.breaker import PROBES, Breaker
from federation.delivery.queue import Job
from federation.origin import authority

NOTIFY_CHANNEL = "deliveries"
WORKER_LOCK_CLASS = 28270  # advisory-lock namespace for live delivery workers
CLAIM_LOCK_CLASS = 28272  # advisory-lock namespace: one claim at a time

# $1 rows at most, leased for $2 to worker $3; at most $4 in flight per host ($6 for a
# half-open breaker's probe), looking at the first $5 due rows of hosts with a free slot.
_CLAIM = """
WITH busy AS (
  SELECT host, count(*) AS n FROM deliveries
  WHERE lease_until IS NOT NULL AND lease_until > now() GROUP BY host
), due AS (
  SELECT q.id, q.host, q.next_attempt_at,
         CASE WHEN b.open_until IS NULL THEN $4::int ELSE $6::int END AS cap
  FROM deliveries q LEFT JOIN host_breakers b ON b.host = q.host
  WHERE q.next_attempt_at <= now()
    AND (q.lease_until IS NULL OR q.lease_until < now())
    AND (b.open_until IS NULL OR b.open_until <= now())
    AND NOT EXISTS (
      SELECT 1 FROM busy WHERE busy.host = q.host
        AND busy.n >= CASE WHEN b.open_until IS NULL THEN $4::int ELSE $6::int END)
  ORDER BY q.next_attempt_at, q.id
  LIMIT $5::int
), fits AS (
  SELECT due.id FROM (
    SELECT due.*, row_number() OVER (
      PARTITION BY due.host ORDER BY due.next_attempt_at, due.id) AS slot
    FROM due) due
  LEFT JOIN busy ON busy.host = due.host
  WHERE due.slot + coalesce(busy.n, 0) <= due.cap
), pick AS (
  SELECT d.id, d.host FROM deliveries d WHERE d.id IN (SELECT id FROM fits)
  ORDER BY d.next_attempt_at, d.id LIMIT $1 FOR UPDATE SKIP LOCKED
)
UPDATE deliveries d
SET lease_until = now() + $2, leased_by = $3, attempts = d.attempts + 1
FROM pick LEFT JOIN host_breakers hb ON hb.host = pick.host
WHERE d.id = pick.id
RETURNING d.id, d.activity_id, d.inbox, d.host, d.signer, d.body, d.attempts,
          d.created_at, now() AS claimed_at, hb.host IS NOT NULL AS troubled
"""


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

    async def claim(
        self, limit: int, lease: timedelta, *, per_host: int = 4
    ) -> list[Job]:
        """Lease up to `limit` due rows, never putting more in flight for one host than
        `per_host` (one for a half-open breaker's probe, none while it is open), counting
        every worker's leases. Claims are serialized by a transaction-scoped advisory lock,
        so two workers cannot both fill the same host's slots."""
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1, 0)", CLAIM_LOCK_CLASS)
            rows = await conn.fetch(
                _CLAIM,
                limit,
                lease,
                self.worker_id,
                per_host,
                max(limit * 4, 512),
                PROBES,
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
                r["claimed_at"],
                r["troubled"],
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

    async def record_host(self, host: str, ok: bool) -> None:
        """Fold one delivery's result into the host's breaker, on the database's clock."""
        async with self._pool.acquire() as conn, conn.transaction():
            if not ok:  # a row to lock, so that concurrent failures are all counted
                await conn.execute(
                    "INSERT INTO host_breakers (host) VALUES ($1) ON CONFLICT DO NOTHING",
                    host,
                )
            row = await conn.fetchrow(
                """SELECT now() AS now, failures, openings, open_until FROM host_breakers
                   WHERE host = $1 FOR UPDATE""",
                host,
            )
            if row is None:  # a success, and no breaker: nothing to do
                return
            state = Breaker(row["failures"], row["openings"], row["open_until"])
            now = row["now"]
            new = state.record(ok, now)
            if new == Breaker():
                await conn.execute("DELETE FROM host_breakers WHERE host = $1", host)
                return
            if new == state:
                return
            await conn.execute(
                """INSERT INTO host_breakers (host, failures, openings, open_until)
                   VALUES ($1, $2, $3, $4)
                   ON CONFLICT (host) DO UPDATE SET failures = EXCLUDED.failures,
                     openings = EXCLUDED.openings, open_until = EXCLUDED.open_until""",
                host,
                new.failures,
                new.openings,
                new.open_until,
            )

    async def hosts(self) -> list[asyncpg.Record]:
        """Hosts with a breaker (failing, open or half-open), worst first: host, failures,
        openings, open_until, and how many deliveries wait for each."""
        return await self._pool.fetch(
            """SELECT b.host, b.failures, b.openings, b.open_until,
                      (SELECT count(*) FROM deliveries d WHERE d.host = b.host) AS waiting
               FROM host_breakers b
               ORDER BY b.open_until DESC NULLS LAST, b.failures DESC, b.host"""
        )

    async def force_retry_host(self, host: str, *, exact: bool) -> int:
        """The operator's override: close the breaker of `host` (with `exact`, that
        authority only; otherwise the name on any port) and make everything waiting for it
        due now, dead deliveries to it queued again; returns how many rows."""
        match = "(host = $1 OR ($2 AND host LIKE replace($1, '_', '\\_') || ':%'))"
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute(
                f"DELETE FROM host_breakers WHERE {match}", host, not exact
            )
            revived = await self._revive(
                conn,
                await conn.fetch(
                    f"""DELETE FROM dead_deliveries WHERE {match}
                        RETURNING activity_id, inbox, host, signer, body""",
                    host,
                    not exact,
                ),
            )
            due = await conn.execute(
                f"""UPDATE deliveries SET next_attempt_at = now()
                    WHERE {match} AND next_attempt_at > now()
                      AND (lease_until IS NULL OR lease_until < now())""",
                host,
                not exact,
            )
            if due != "UPDATE 0":
                await conn.execute(f"NOTIFY {NOTIFY_CHANNEL}")
        return revived + int(due.split()[-1])

    async def retry_dead(self, ids: list[int] | None = None) -> int:
        """Move buried deliveries back to the queue (all, or the given ids), closing the
        breakers of their hosts (an operator's retry is not held back by one)."""
        async with self._pool.acquire() as conn, conn.transaction():
            moved = await conn.fetch(
                """DELETE FROM dead_deliveries WHERE ($1::bigint[] IS NULL OR id = ANY($1))
                   RETURNING activity_id, inbox, host, signer, body""",
                ids,
            )
            await conn.execute(
                "DELETE FROM host_breakers WHERE host = ANY($1::text[])",
                sorted({r["host"] for r in moved}),
            )
            return await self._revive(conn, moved)

    @staticmethod
    async def _revive(conn: Connection, moved: list[asyncpg.Record]) -> int:
        """Queue dead rows again (as new rows: attempts from zero)."""
        if moved:
            await conn.execute(
                """INSERT INTO deliveries (activity_id, inbox, host, signer, body)
                   SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::jsonb[])
                   ON CONFLICT (activity_id, inbox) DO NOTHING""",
                [r["activity_id"] for r in moved],
                [r["inbox"] for r in moved],
                [r["host"] for r in moved],
                [r["signer"] for r in moved],
                [r["body"] for r in moved],
            )
            await conn.execute(f"NOTIFY {NOTIFY_CHANNEL}")
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
