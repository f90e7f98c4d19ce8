"""Background work: the inbox processors, the delivery worker, closing polls and the\nconfederations' catch-up, each a supervised loop (node.runtime.loops), with graceful stop."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from typing import Any

import structlog
from aiohttp import web

from federation.delivery.pgqueue import PgDeliveryQueue
from federation.delivery.worker import DeliveryWorker
from federation.sig.knock import SigningKey
from node.confederation.joining import catch_up
from node.runtime import appkeys, loops
from node.services import pledges, polls
from node.services.actors import signing_key
from node.services.inbox import process_pending
from node.services.remote import keys_dropper
from node.storage import follows
from node.storage.channels import Channel, Listener

log = structlog.get_logger(__name__)
POLL_SWEEP_MAX = 60.0
CATCH_UP_FIRST = 60.0  # seconds after start: deliveries that waited for us arrive first
CATCH_UP_EVERY = 900.0
# Inbox processors per worker process: a slow fetch (up to the 10 s timeout) made while
# applying one actor's activity does not hold up everyone else's.
INBOX_PROCESSORS = 4


def _inbox_round(app: web.Application) -> loops.Round:
    ctx = app[appkeys.CONTEXT]

    async def round_() -> float:
        handled = await process_pending(app[appkeys.DB], ctx)
        return 0.0 if handled else 1.0

    return round_


def _delivery_round(
    worker: DeliveryWorker,
    queue: PgDeliveryQueue,
    listener: Listener,
    stop: asyncio.Event,
) -> loops.Round:
    async def round_() -> float:
        # only while this worker holds its own liveness lock (on the listener's
        # connection): without it, its own leases in flight would look orphaned
        if listener.ready.is_set():
            await queue.reclaim_orphans()
        await worker.run(stop, max_idle_rounds=30)
        return 0.0

    return round_


def listener_round(listener: Listener, stop: asyncio.Event) -> loops.Round:
    """Hold the LISTEN connection (and the worker's liveness lock on it); when it is lost,
    connect again (the loop's backoff applies when connecting fails)."""

    async def round_() -> float:
        await listener.serve(stop)
        return 0.0

    return round_


def _polls_round(app: web.Application) -> loops.Round:
    """Close proposals as their endTime passes and send pledge reminders as they fall due:
    sleep until the next of either (at most a minute), or until something was published
    (a new proposal may end sooner)."""
    settings, pool, clock = app[appkeys.SETTINGS], app[appkeys.DB], app[appkeys.CLOCK]

    async def round_() -> float:
        await polls.close_due_polls(pool, base_url=settings.url, now=clock())
        await pledges.send_due_reminders(pool, base_url=settings.url, now=clock())
        due = [
            t
            for t in (
                await polls.next_poll_end(pool),
                await pledges.next_reminder(pool),
            )
            if t is not None
        ]
        if not due:
            return POLL_SWEEP_MAX
        wait = (min(due) - clock()).total_seconds()
        return min(POLL_SWEEP_MAX, max(wait, 0.0) + 0.01)

    return round_


def _catch_up_round(app: web.Application) -> loops.Round:
    """Every confederation catches up from one of its replicas after start and then every
    CATCH_UP_EVERY seconds, so a replica that missed records converges without anyone."""

    async def round_() -> float:
        await catch_up(
            app[appkeys.DB],
            base_url=app[appkeys.SETTINGS].url,
            remote=app[appkeys.REMOTE],
            clock=app[appkeys.CLOCK],
        )
        return CATCH_UP_EVERY

    return round_


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

    queue = PgDeliveryQueue(pool, worker_id=secrets.randbelow(2**31 - 1) + 1)
    worker = DeliveryWorker(
        queue,
        app[appkeys.HTTP],
        key_for=key_for,
        on_gone=on_gone,
        clock=app[appkeys.CLOCK],
        allow_private=settings.allow_private_network,
        on_outcome=app[appkeys.METRICS].record_delivery,
    )
    app[appkeys.DELIVERY_WORKER] = worker
    polls_wakeup = asyncio.Event()

    def on_queued(*_: Any) -> None:
        worker.notify()
        polls_wakeup.set()

    listener = Listener(
        app[appkeys.DSN],
        {
            Channel.DELIVERIES: on_queued,
            Channel.KEYS: lambda *_: key_cache.clear(),
            Channel.REMOTE_KEYS: keys_dropper(lambda: app.get(appkeys.REMOTE)),
            Channel.POLLS: lambda *_: polls_wakeup.set(),
            Channel.INBOX: lambda *_: app[appkeys.INBOX_WAKEUP].set(),
        },
        on_connect=queue.register,
    )
    stop = asyncio.Event()
    metrics = app[appkeys.METRICS]
    inbox_wakeup = app[appkeys.INBOX_WAKEUP]
    plan: list[tuple[str, loops.Round, asyncio.Event | None, float]] = [
        ("listener", listener_round(listener, stop), None, 0.0),
        *(
            (f"inbox_{n}", _inbox_round(app), inbox_wakeup, 0.0)
            for n in range(INBOX_PROCESSORS)
        ),
        ("delivery", _delivery_round(worker, queue, listener, stop), None, 0.0),
        ("polls", _polls_round(app), polls_wakeup, 0.0),
        ("catch_up", _catch_up_round(app), None, CATCH_UP_FIRST),
    ]
    states = [loops.LoopState(name) for name, *_ in plan]
    metrics.watch_loops(states)
    tasks: list[asyncio.Task[None]] = []

    def start(
        state: loops.LoopState,
        round_: loops.Round,
        wakeup: asyncio.Event | None,
        first: float,
    ) -> None:
        tasks.append(
            asyncio.create_task(
                loops.run(
                    state,
                    round_,
                    stop,
                    wakeup=wakeup,
                    first_wait=first,
                    on_error=metrics.record_loop_error,
                )
            )
        )

    # the listener first: this worker's liveness lock is held before it claims anything
    (_name, round_, wakeup, first), *rest = plan
    start(states[0], round_, wakeup, first)
    async with asyncio.timeout(30):
        await listener.ready.wait()
    for state, (_name, round_, wakeup, first) in zip(states[1:], rest, strict=True):
        start(state, round_, wakeup, first)
    log.info("workers_started", worker_id=queue.worker_id)
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
        log.info("workers_stopped", unfinished=len(pending))
