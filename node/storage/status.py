"""Queries: the shared state every process reports in /metrics (queues, breakers)."""

from __future__ import annotations

import asyncpg

from node.storage.db import Pool
from node.storage.inbox import MAX_ATTEMPTS


async def queues(pool: Pool) -> asyncpg.Record | None:
    """Delivery queue depth and oldest age, dead letters, inbox pending and given up, and
    circuit breakers open and failing."""
    row: asyncpg.Record | None = await pool.fetchrow(
        """SELECT (SELECT count(*) FROM deliveries) AS depth,
                      (SELECT coalesce(extract(epoch FROM now() - min(created_at)), 0)
                         FROM deliveries) AS oldest,
                      (SELECT count(*) FROM dead_deliveries) AS dead,
                      (SELECT count(*) FILTER (WHERE attempts < $1) FROM inbox
                         WHERE processed_at IS NULL) AS inbox,
                      (SELECT count(*) FILTER (WHERE attempts >= $1) FROM inbox
                         WHERE processed_at IS NULL) AS inbox_failed,
                      (SELECT count(*) FROM host_breakers WHERE open_until > now()) AS open,
                      (SELECT count(*) FROM host_breakers
                         WHERE failures > 0 AND (open_until IS NULL OR open_until <= now()))
                         AS failing""",
        MAX_ATTEMPTS,
    )
    return row
