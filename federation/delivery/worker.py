"""EDGE: claim deliveries, sign each POST afresh, apply the policy, record the outcome."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import os
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import aiohttp
import asyncpg
import structlog
from yarl import URL

from federation.delivery.policy import Done, GiveUp, RemoveRecipient, Retry, next_step
from federation.delivery.queue import DeliveryQueue, Job
from federation.errors import FetchRefusedError
from federation.fetch import guard
from federation.sig.knock import KnockMemory, SigningKey, knock, sign
from federation.types import HttpRequest, SignatureScheme

log = structlog.get_logger(__name__)
AP = "application/activity+json"
LEASE = timedelta(minutes=2)
CONNECT_TIMEOUT = 3.0  # seconds to open a connection (a dead host is found out quickly)
SLOW_AFTER = 1.0  # seconds in flight after which a delivery frees its working slot
MAX_IN_FLIGHT = 1024  # open delivery requests at most, slow ones included
BATCH_WINDOW = 0.02  # seconds a claim waits for more deliveries to finish
FLUSH_RETRY = 1.0  # seconds between tries of a failed batch of "delivered" deletes
_DB_ERRORS = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError)
# RSA signing releases the GIL: one thread per core signs while the event loop does the I/O.
# A pool of its own (not the default executor's cpu+4 threads) keeps GIL hand-offs few.
_SIGNERS = concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 2, "sign")


class DeliveryWorker:
    """Runs deliveries from a DeliveryQueue with a global and a per-host concurrency cap."""

    def __init__(
        self,
        queue: DeliveryQueue,
        session: aiohttp.ClientSession,
        *,
        key_for: Callable[[str], Awaitable[SigningKey]],
        on_gone: Callable[[str], Awaitable[None]],
        clock: Callable[[], datetime],
        allow_private: bool,
        on_outcome: Callable[[str, int | None, str | None], None] | None = None,
        concurrency: int = 128,
        per_host: int = 4,
        timeout: float = guard.TIMEOUT_SECONDS,
    ) -> None:
        self._queue = queue
        self._session = session
        self._key_for = key_for
        self._on_gone = on_gone
        self._clock = clock
        self._allow_private = allow_private
        self._on_outcome = on_outcome or (lambda _outcome, _status, _error: None)
        self._concurrency = concurrency
        self._refill = max(1, concurrency // 4)
        self._hosts: defaultdict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(per_host)
        )
        # a deadline for the whole request (a host that trickles its answer a byte a second
        # is cut off with the rest) and a short one for opening the connection
        self._timeout = aiohttp.ClientTimeout(
            total=timeout,
            connect=min(timeout, CONNECT_TIMEOUT * 2),
            sock_connect=min(timeout, CONNECT_TIMEOUT),
        )
        self._per_host = per_host
        self.knocks = KnockMemory()
        self._queued = False  # notify() said rows were queued since the last claim
        self._attention = asyncio.Event()  # a delivery finished, or notify()
        self._troubled: set[str] = set()
        self._slow: set[int] = set()  # deliveries in flight for SLOW_AFTER or longer
        self._done: list[int] = []
        self._flusher: asyncio.Task[None] | None = None
        self._bodies: dict[str, bytes] = {}
        self._urls: dict[str, tuple[str, URL]] = {}

    def notify(self) -> None:
        """New rows were queued (or it is time to stop): claim again without waiting."""
        self._queued = True
        self._attention.set()

    async def run_once(self) -> int:
        """Claim and deliver one batch; returns how many jobs were attempted."""
        jobs = await self._queue.claim(
            self._concurrency, LEASE, per_host=self._per_host
        )
        if jobs:
            await asyncio.gather(*(self._deliver(job) for job in jobs))
        return len(jobs)

    async def run(
        self,
        stop: asyncio.Event,
        *,
        idle: float = 1.0,
        max_idle_rounds: int | None = None,
    ) -> None:
        """Deliver until `stop`, keeping up to `concurrency` deliveries working.

        A delivery that has waited on its host for SLOW_AFTER seconds stops counting
        against `concurrency` (it costs a socket, not work), so hosts that hang cannot
        take every slot from the healthy ones; at most MAX_IN_FLIGHT are open in all.
        Returns early after `max_idle_rounds` empty polls, so the caller can do housekeeping.
        """
        inflight: set[asyncio.Task[None]] = set()
        finished_since = 0  # deliveries that finished since the last claim
        loop = asyncio.get_running_loop()
        last_claim = 0.0

        def finished(task: asyncio.Task[None]) -> None:
            nonlocal finished_since
            inflight.discard(task)
            finished_since += 1
            self._attention.set()

        idle_rounds = 0
        # the last claim found fewer rows than it asked for (the queue is drained, or the
        # rest wait for hosts at their cap), and nothing finished or was queued since:
        # claiming again would find nothing new
        short = False
        try:
            while not stop.is_set():
                self._attention.clear()  # anything after this wakes the wait below
                if self._queued:
                    short = False
                working = len(inflight) - len(self._slow)
                free = min(self._concurrency - working, MAX_IN_FLIGHT - len(inflight))
                # claim in batches (one round trip for many rows), not one per finished
                # job: when a quarter of the slots is free (slow deliveries do not hold
                # theirs); after a short claim (the rest wait for hosts at their cap),
                # BATCH_WINDOW after a delivery finished, which may have freed a host
                wait = idle
                early = not inflight or (free >= self._refill and not short)
                if free > 0 and (early or (short and finished_since > 0)):
                    since = loop.time() - last_claim
                    if not early and since < BATCH_WINDOW:
                        wait = BATCH_WINDOW - since
                    else:
                        if self._done:  # rows delivered but not yet deleted go first
                            await self._flush()
                        self._queued = False
                        finished_since = 0
                        last_claim = loop.time()
                        jobs = await self._queue.claim(
                            free, LEASE, per_host=self._per_host
                        )
                        short = len(jobs) < free
                        for job in jobs:
                            task = asyncio.create_task(self._deliver(job))
                            inflight.add(task)
                            task.add_done_callback(finished)
                if inflight:
                    idle_rounds = 0
                elif short:
                    idle_rounds += 1
                    if max_idle_rounds is not None and idle_rounds >= max_idle_rounds:
                        return
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(wait):
                        await self._attention.wait()
        finally:
            if inflight:
                await asyncio.wait(inflight, timeout=15)
            if self._flusher is not None:
                await asyncio.wait([self._flusher], timeout=15)
            if self._done:  # the last batch, once more (a worker stopping keeps none)
                with contextlib.suppress(*_DB_ERRORS):
                    await self._flush()

    async def _deliver(self, job: Job) -> None:
        structlog.contextvars.bind_contextvars(
            delivery_id=job.id, inbox=job.inbox, activity_id=job.activity_id
        )
        started = time.monotonic()

        def turned_slow() -> None:
            self._slow.add(job.id)
            self._attention.set()  # its slot is free for others: claim again

        slow = asyncio.get_running_loop().call_later(SLOW_AFTER, turned_slow)
        try:
            async with self._hosts[job.host]:
                status, headers, error = await self._post(job)
        finally:
            slow.cancel()
            self._slow.discard(job.id)
        # due times are on the database's clock (when the row was claimed, plus how long
        # this attempt took), whatever this process's clock says
        now = (
            job.claimed_at + timedelta(seconds=time.monotonic() - started)
            if job.claimed_at is not None
            else self._clock()
        )
        outcome = next_step(
            attempt=job.attempts,
            status=status,
            headers=headers,
            now=now,
            first_attempt_at=job.created_at,
        )
        ok = status is not None and status < 500
        # the breaker only needs to hear about trouble, and about a troubled host's recovery
        if not ok or job.troubled or job.host in self._troubled:
            await self._queue.record_host(job.host, ok)
            if ok:
                self._troubled.discard(job.host)
            else:
                self._troubled.add(job.host)
        match outcome:
            case Done():
                await self._complete(job)
                self._on_outcome("delivered", status, error)
                log.info("delivered", status=status, attempt=job.attempts)
            case Retry(at=at, reason=reason):
                await self._queue.reschedule(
                    job, at, status=status, error=error or reason
                )
                self._on_outcome("retried", status, error)
                log.info(
                    "delivery_failed",
                    status=status,
                    attempt=job.attempts,
                    retry_at=at.isoformat(),
                    reason=error or reason,
                )
            case RemoveRecipient(reason=reason):
                await self._on_gone(job.inbox)
                await self._queue.bury(job, reason)
                self._on_outcome("gone", status, error)
                log.info("delivery_gone", status=status)
            case GiveUp(reason=reason):
                await self._queue.bury(job, reason)
                self._on_outcome("dead", status, error)
                log.warning(
                    "delivery_given_up",
                    status=status,
                    attempt=job.attempts,
                    reason=reason,
                )

    async def _complete(self, job: Job) -> None:
        """Delete delivered rows in batches: one round trip for many.

        A crash before the flush re-sends those few (at-least-once, as promised).
        """
        self._done.append(job.id)
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_loop())

    async def _flush_loop(self) -> None:
        while self._done:
            # let the deliveries finishing meanwhile join the batch
            await asyncio.sleep(0.02)
            try:
                await self._flush()
            except Exception as exc:  # noqa: BLE001 - the batch is kept whatever went wrong
                # kept, and tried again until the database answers: a row delivered but
                # not deleted would be sent again once its lease ran out
                log.warning(
                    "delivery_complete_failed", count=len(self._done), error=str(exc)
                )
                await asyncio.sleep(FLUSH_RETRY)

    async def _flush(self) -> None:
        """Delete the delivered rows; on failure they stay in the batch (and it raises)."""
        ids = self._done[:]
        await self._queue.complete_many(ids)
        done = set(ids)
        self._done = [i for i in self._done if i not in done]

    def _body_bytes(self, job: Job) -> bytes:
        """Serialize each activity once per fan-out, not once per inbox."""
        cached = self._bodies.get(job.activity_id)
        if cached is None:
            if len(self._bodies) >= 64:
                self._bodies.clear()
            cached = json.dumps(job.body, separators=(",", ":")).encode()
            self._bodies[job.activity_id] = cached
        return cached

    def _checked_url(self, inbox: str) -> tuple[str, URL]:
        """`inbox` vetted by the fetch guard and parsed, once per inbox (a pure function of
        the inbox and this worker's settings); raises FetchRefusedError."""
        cached = self._urls.get(inbox)
        if cached is None:
            if len(self._urls) >= 10_000:
                self._urls.clear()
            url = guard.check_url(inbox, allow_private=self._allow_private)
            cached = self._urls[inbox] = (url, URL(url))
        return cached

    async def _post(self, job: Job) -> tuple[int | None, dict[str, str], str]:
        body = self._body_bytes(job)
        try:
            url, parsed = self._checked_url(job.inbox)
            key = await self._key_for(job.signer)
            request = HttpRequest.build("POST", url, {"content-type": AP}, body)

            async def signed(scheme: SignatureScheme) -> HttpRequest:
                return await asyncio.get_running_loop().run_in_executor(
                    _SIGNERS, sign, request, key, scheme, self._clock()
                )

            status, headers = await knock(
                self.knocks,
                job.host,
                signed,
                lambda r: self._send(parsed, r),
                lambda res: res[0],
            )
            return status, headers, ""
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            return None, {}, f"{exc.__class__.__name__}: {exc}"[:300]
        except (LookupError, FetchRefusedError) as exc:
            return 400, {}, str(exc)

    async def _send(self, url: URL, request: HttpRequest) -> tuple[int, dict[str, str]]:
        headers = {k: v for k, v in request.headers.items() if k != "host"}
        async with self._session.post(
            url,
            data=request.body,
            headers=headers,
            timeout=self._timeout,
            allow_redirects=False,
        ) as resp:
            await resp.content.read(64 * 1024)
            return resp.status, {k.lower(): v for k, v in resp.headers.items()}
