"""Moderation of whole hosts: block (their followers and queued deliveries go), unblock,
and the allow-list of `federation_mode = allowlist`."""

from __future__ import annotations

from node.storage import domains
from node.storage.db import Pool


def normalized_host(host: str) -> str:
    return host.lower()


async def block(pool: Pool, host: str) -> int:
    """Refuse `host` from now on; returns how many of its followers were removed."""
    return await domains.block(pool, normalized_host(host))


async def unblock(pool: Pool, host: str) -> bool:
    """False when `host` was not blocked."""
    return await domains.unblock(pool, normalized_host(host))


async def allow(pool: Pool, host: str) -> None:
    await domains.allow(pool, normalized_host(host))
