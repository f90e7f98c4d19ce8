"""The operator's view of the two queues: deliveries that gave up (and putting them back),
and received activities whose processing failed (and processing them again)."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from federation import domains
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


async def troubled_hosts(pool: Pool) -> list[asyncpg.Record]:
    """Hosts whose circuit breaker is failing, open or half-open."""
    return await PgDeliveryQueue(pool).hosts()


async def force_retry_host(pool: Pool, host: str) -> int:
    """Close the breaker of `host` (a name covers each of its ports; `name:port` just that
    one) and make every delivery for it due now, dead ones included; how many.

    Raises:
        DomainError: `host` is not a host name (nothing changed).
    """
    text = host.strip().lower()
    name = domains.normalize(text)
    port = text.rsplit(":", 1)[1] if text.count(":") == 1 else None
    if port is not None and not port.isdigit():
        msg = f"{host!r} is not a host name"
        raise domains.DomainError(msg)
    return await PgDeliveryQueue(pool).force_retry_host(
        f"{name}:{port}" if port else name, exact=port is not None
    )


async def failed_activities(pool: Pool) -> list[asyncpg.Record]:
    return await inbox.failed(pool)


async def retry_failed_activities(pool: Pool, ids: list[int] | None) -> int:
    """Make failed activities due now (all, or `ids`); how many.

    Raises:
        LookupError: an id is not a failed activity (nothing changed).
    """
    return await inbox.retry_failed(pool, ids)
