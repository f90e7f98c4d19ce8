"""The LISTEN/NOTIFY channels the node's processes wake each other with, named once."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from enum import StrEnum
from typing import Any

import asyncpg

from federation.delivery.pgqueue import NOTIFY_CHANNEL
from node.storage.db import CONNECT_TIMEOUT, Connection, Pool

# seconds between the listener's checks that its connection still answers
KEEPALIVE = 10.0


class Channel(StrEnum):
    INBOX = "inbox"  # an activity was stored: inbox processors look
    DELIVERIES = NOTIFY_CHANNEL  # deliveries were queued: delivery workers claim
    KEYS = "keys"  # a key changed: processes drop the signing keys they cached
    POLLS = "polls"  # a proposal was published or edited: it may close sooner
    DOMAINS = "domains"  # a domain was blocked, unblocked or allowed: drop cached lists
    OUTBOX = "outbox"  # a public activity entered an outbox: cached outbox pages go
    # a remote actor's keys changed or went (payload: the actor): drop the keys held in memory
    REMOTE_KEYS = "remote_keys"


async def notify(conn: Connection | Pool, channel: Channel, payload: str = "") -> None:
    """Wake every process listening on `channel` (at commit, inside a transaction)."""
    await conn.execute("SELECT pg_notify($1, $2)", channel.value, payload)


Handler = Callable[..., None]


class Listener:
    """A connection of its own that LISTENs on channels, kept for the process's life:
    when it is lost (the database restarted, went away, or a proxy cut it) `serve`
    returns, and run under a supervised loop it connects again. Each (re)connection calls
    `on_connect` with the new connection (to take session locks again) and then every
    handler once, since notifications sent while it was away were missed."""

    def __init__(
        self,
        dsn: str,
        handlers: Mapping[Channel, Handler],
        *,
        on_connect: Callable[[Connection], Awaitable[None]] | None = None,
    ) -> None:
        self._dsn = dsn
        self._handlers = dict(handlers)
        self._on_connect = on_connect
        self.connections = 0  # how many times it connected
        self.ready = asyncio.Event()  # connected and listening

    async def serve(self, stop: asyncio.Event) -> None:
        """Connect, listen until the connection is lost or `stop` is set."""
        lost = asyncio.Event()
        conn = await asyncpg.connect(self._dsn, timeout=CONNECT_TIMEOUT)
        try:
            conn.add_termination_listener(lambda _c: lost.set())
            if self._on_connect is not None:
                await self._on_connect(conn)
            for channel, handler in self._handlers.items():
                await conn.add_listener(channel.value, handler)
            self.connections += 1
            self.ready.set()
            if self.connections > 1:  # what was sent meanwhile was missed: look now
                for channel, handler in self._handlers.items():
                    handler(None, 0, channel.value, "")
            waits = [asyncio.create_task(e.wait()) for e in (stop, lost)]
            try:
                while not (stop.is_set() or lost.is_set()):
                    await asyncio.wait(
                        waits, timeout=KEEPALIVE, return_when=asyncio.FIRST_COMPLETED
                    )
                    if not (stop.is_set() or lost.is_set()):
                        # a half-open connection is noticed only by using it
                        await conn.execute("SELECT 1", timeout=CONNECT_TIMEOUT)
            finally:
                for wait in waits:
                    wait.cancel()
        finally:
            self.ready.clear()
            conn.terminate() if lost.is_set() else await _close(conn)


async def _close(conn: asyncpg.Connection[Any]) -> None:
    try:
        await asyncio.wait_for(conn.close(), CONNECT_TIMEOUT)
    except (OSError, TimeoutError, asyncpg.InterfaceError):
        conn.terminate()
