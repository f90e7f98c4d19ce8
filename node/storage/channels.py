"""The LISTEN/NOTIFY channels the node's processes wake each other with, named once."""

from __future__ import annotations

from enum import StrEnum

from federation.delivery.pgqueue import NOTIFY_CHANNEL
from node.storage.db import Connection


class Channel(StrEnum):
    INBOX = "inbox"  # an activity was stored: inbox processors look
    DELIVERIES = NOTIFY_CHANNEL  # deliveries were queued: delivery workers claim
    KEYS = "keys"  # a key changed: processes drop the signing keys they cached
    POLLS = "polls"  # a proposal was published or edited: it may close sooner


async def notify(conn: Connection, channel: Channel) -> None:
    """Wake every process listening on `channel` (at commit, inside a transaction)."""
    await conn.execute("SELECT pg_notify($1, '')", channel.value)
