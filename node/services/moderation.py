"""Moderation of whole hosts: block (their followers and queued deliveries go), unblock,
and the allow-list of `federation_mode = allowlist`."""

from __future__ import annotations

from federation import domains
from node.storage import domains as domain_store
from node.storage.db import Pool


def normalized_host(host: str) -> str:
    """The domain as stored: lower case, no trailing dot or port, IDNA (a block covers its
    subdomains).

    Raises:
        domains.DomainError: not a domain name.
    """
    return domains.normalize(host)


async def block(pool: Pool, host: str) -> int:
    """Refuse `host` from now on; returns how many of its followers were removed."""
    return await domain_store.block(pool, normalized_host(host))


async def unblock(pool: Pool, host: str) -> bool:
    """False when `host` was not blocked."""
    return await domain_store.unblock(pool, normalized_host(host))


async def allow(pool: Pool, host: str) -> None:
    await domain_store.allow(pool, normalized_host(host))
