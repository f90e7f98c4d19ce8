"""Background work: the inbox processor and the delivery workers, with graceful stop."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import structlog
from aiohttp import web

from federation.delivery.pgqueue import NOTIFY_CHANNEL, PgDeliveryQueue
from federation.delivery.worker import DeliveryWorker
from federation.sig.knock import SigningKey
from node.runtime import appkeys
from node.services import movement, polls
from node.services.actors import signing_key
from node.services.inbox import process_pending
from node.services.key_rotation import KEYS_CHANNEL
from node.storage import domains, follows

log = structlog.get_logger(__name__)
POLL_SWEEP_MAX = 60.0
CATCH_UP_FIRST = 60.0  # seconds after start: deliveries that waited for us arrive first
CATCH_UP_EVERY = 900.0
# Inbox processors per worker process: a slow fetch (up to the 10 s timeout) made while
# applying one actor's activity does not hold up everyone else's.
INBOX_PROCESSORS = 4


async def _inbox_loop(app: web.Application, stop: asyncio.Event) -> None:
    settings, wakeup = app[appkeys.SETTINGS], app[appkeys.INBOX_WAKEUP]
    while not stop.is_set():
        wakeup.clear()  # before looking: a row stored from now on sets it again
        try:
            handled = await process_pending(
                app[appkeys.DB], base_url=settings.url, remote=app[appkeys.REMOTE]
            )
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.warning("inbox_loop_error", error=str(exc))
            handled = 0
        if handled:
            continue
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wakeup.wait(), timeout=1.0)


async def _delivery_loop(
    worker: DeliveryWorker, queue: PgDeliveryQueue, stop: asyncio.Event
) -> None:
    while not stop.is_set():
        try:
            await queue.reclaim_orphans()
            await worker.run(stop, max_idle_rounds=30)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.warning("delivery_loop_error", error=str(exc))
            await asyncio.sleep(1.0)


async def _polls_loop(
    app: web.Application, stop: asyncio.Event, wakeup: asyncio.Event
) -> None:
    """Close proposals as their endTime passes: sleep until the next one ends (at most a
    minute), or until something was published (a new proposal may end sooner)."""
    settings, pool, clock = app[appkeys.SETTINGS], app[appkeys.DB], app[appkeys.CLOCK]
    while not stop.is_set():
        wakeup.clear()
        try:
            await polls.close_due_polls(pool, base_url=settings.url, now=clock())
            end = await polls.next_poll_end(pool)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.warning("polls_loop_error", error=str(exc))
            end = None
        wait = POLL_SWEEP_MAX
        if end is not None:
            wait = min(wait, max((end - clock()).total_seconds(), 0.0) + 0.01)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wakeup.wait(), timeout=wait)


async def _catch_up_loop(app: web.Application, stop: asyncio.Event) -> None:
    """Every confederation catches up from one of its replicas after start and then every
    CATCH_UP_EVERY seconds, so a replica that missed records converges without anyone."""
    from node.confederation.joining import catch_up

    wait = CATCH_UP_FIRST
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=wait)
        if stop.is_set():
            return
        wait = CATCH_UP_EVERY
        try:
            await catch_up(
                app[appkeys.DB],
                base_url=app[appkeys.SETTINGS].url,
                remote=app[appkeys.REMOTE],
                clock=app[appkeys.CLOCK],
            )
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.warning("catch_up_loop_error", error=str(exc))


async def worker_ctx(app: web.Application) -> AsyncIterator[None]:
    """Run the inbox processor and delivery workers for the app's lifetime (role worker/all)."""
    settings, pool = app[appkeys.SETTINGS], app[appkeys.DB]
    key_cache: dict[str, SigningKey] = {}
    key_lock = asyncio.Lock()

    async def key_for(name: str) -> SigningKey:
        """Load each signer's key once (parsing a PEM costs tens of ms), even under concurrency."""
        if name not in key_cache:
            async with key_lock:
                if name not in key_cache:
                    key_cache[name] = await signing_key(pool, settings.url, name)
        return key_cache[name]

    async def on_gone(inbox: str) -> None:
        removed = await follows.remove_followers_on_inbox(pool, inbox)
        log.info("followers_removed_gone", inbox=inbox, removed=removed)

    async def host_allowed(host: str) -> bool:
        allowlist = settings.federation_mode == "allowlist"
        return not await domains.is_refused(pool, host, allowlist_mode=allowlist)

    queue = PgDeliveryQueue(pool, worker_id=secrets.randbelow(2**31 - 1) + 1)
    worker = DeliveryWorker(
        queue,
        app[appkeys.HTTP],
        key_for=key_for,
        on_gone=on_gone,
        clock=app[appkeys.CLOCK],
        allow_private=settings.allow_private_network,
        host_allowed=host_allowed,
        on_outcome=app[appkeys.METRICS].record_delivery,
    )
    app[appkeys.DELIVERY_WORKER] = worker
    listener: asyncpg.Connection[Any] = await asyncpg.connect(app[appkeys.DSN])
    await queue.register(listener)
    reclaimed = await queue.reclaim_orphans()
    polls_wakeup = asyncio.Event()

    def on_queued(*_: Any) -> None:
        worker.notify()
        polls_wakeup.set()

    await listener.add_listener(NOTIFY_CHANNEL, on_queued)
    await listener.add_listener(KEYS_CHANNEL, lambda *_: key_cache.clear())
    await listener.add_listener(movement.POLLS_CHANNEL, lambda *_: polls_wakeup.set())
    await listener.add_listener("inbox", lambda *_: app[appkeys.INBOX_WAKEUP].set())
    stop = asyncio.Event()
    tasks = [
        *(asyncio.create_task(_inbox_loop(app, stop)) for _ in range(INBOX_PROCESSORS)),
        asyncio.create_task(_delivery_loop(worker, queue, stop)),
        asyncio.create_task(_polls_loop(app, stop, polls_wakeup)),
        asyncio.create_task(_catch_up_loop(app, stop)),
    ]
    log.info("workers_started", worker_id=queue.worker_id, reclaimed=reclaimed)
    try:
        yield
    finally:
        stop.set()
        worker.notify()
        polls_wakeup.set()
        app[appkeys.INBOX_WAKEUP].set()
        _done, pending = await asyncio.wait(tasks, timeout=10)
        for task in pending:
            task.cancel()
        await listener.close()
        log.info("workers_stopped", unfinished=len(pending))
