"""The operator's view of the two queues: deliveries that gave up (and putting them back),
and received activities whose processing failed (and processing them again)."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from federation.delivery.pgqueue import PgDeliveryQueue
from node.storage import inbox
from node.storage.db import Pool


async def dead_deliveries(pool: Pool) -> list[asyncpg.Record]:
    return await PgDeliveryQueue(pool).dead()


async def pending_deliveries(pool: Pool) -> tuple[int, datetime | None]:
    return await PgDeliveryQueue(pool).pending()


async def retry_dead_deliveries(pool: Pool, ids: list[int] | None) -> int:
    """Queue dead deliveries again (all, or `ids`); how many."""
    return await PgDeliveryQueue(pool).retry_dead(ids)


async def failed_activities(pool: Pool) -> list[asyncpg.Record]:
    return await inbox.failed(pool)


async def retry_failed_activities(pool: Pool, ids: list[int] | None) -> int:
    """Make failed activities due now (all, or `ids`); how many.

    Raises:
        LookupError: an id is not a failed activity (nothing changed).
    """
    return await inbox.retry_failed(pool, ids)
