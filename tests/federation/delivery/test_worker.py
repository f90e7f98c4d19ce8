"""The delivery worker's scheduling, against a real HTTP receiver on loopback.

The queue here is an in-memory DeliveryQueue (the PostgreSQL one is exercised end to end
in tests/integration); what is under test is how the worker claims and keeps work in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp import web

from federation.delivery.queue import Job
from federation.delivery.worker import DeliveryWorker
from federation.fetch.client import create_session
from federation.sig.keys import generate_rsa
from federation.sig.knock import SigningKey
from tests.conftest import free_port, until

HOST = "127.0.0.4"
KEY = SigningKey("http://us.example/actors/g#main-key", generate_rsa())


class MemoryQueue:
    def __init__(self) -> None:
        self.pending: list[Job] = []
        self.done: list[int] = []
        self.claims: list[int] = []  # how many rows each claim returned

    def add(self, job_id: int, inbox: str, host: str = HOST) -> None:
        now = datetime.now(UTC)
        self.pending.append(
            Job(job_id, f"urn:a:{job_id}", inbox, host, "g", {"id": job_id}, 1, now)
        )

    async def claim(self, limit: int, lease: timedelta, *, per_host: int) -> list[Job]:
        jobs, self.pending = self.pending[:limit], self.pending[limit:]
        self.claims.append(len(jobs))
        return jobs

    async def complete(self, job: Job) -> None:
        self.done.append(job.id)

    async def complete_many(self, ids: list[int]) -> None:
        self.done.extend(ids)

    async def reschedule(
        self, job: Job, at: datetime, *, status: int | None, error: str
    ) -> None:
        raise AssertionError(f"unexpected retry of {job.id}: {status} {error}")

    async def bury(self, job: Job, reason: str) -> None:
        raise AssertionError(f"unexpected give-up of {job.id}: {reason}")

    async def record_host(self, host: str, ok: bool) -> None:
        return None


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[str, list[str], asyncio.Event]]:
    """POST /slow waits until released; POST /fast answers at once. Records arrivals."""
    arrived: list[str] = []
    release = asyncio.Event()

    async def slow(request: web.Request) -> web.Response:
        arrived.append("slow")
        await release.wait()
        return web.Response(status=202)

    async def fast(request: web.Request) -> web.Response:
        await request.read()
        arrived.append(request.path)
        return web.Response(status=202)

    app = web.Application()
    app.router.add_post("/slow", slow)
    app.router.add_post("/fast{n:.*}", fast)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port(HOST)
    await web.TCPSite(runner, HOST, port).start()
    try:
        yield f"http://{HOST}:{port}", arrived, release
    finally:
        release.set()
        await runner.cleanup()


@contextlib.asynccontextmanager
async def _run(
    queue: MemoryQueue, *, concurrency: int
) -> AsyncIterator[tuple[DeliveryWorker, asyncio.Event]]:
    session = create_session(allow_private=True)

    async def key_for(_name: str) -> SigningKey:
        return KEY

    async def on_gone(_inbox: str) -> None:
        return None

    worker = DeliveryWorker(
        queue,
        session,
        key_for=key_for,
        on_gone=on_gone,
        clock=lambda: datetime.now(UTC),
        allow_private=True,
        concurrency=concurrency,
        per_host=concurrency,
    )
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop, idle=30.0))
    try:
        yield worker, stop
    finally:
        stop.set()
        worker.notify()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(task, 20)
        await session.close()


async def test_rows_queued_during_a_slow_delivery_go_out_without_waiting_for_it(
    receiver: tuple[str, list[str], asyncio.Event],
) -> None:
    base, arrived, release = receiver
    queue = MemoryQueue()
    queue.add(1, f"{base}/slow")
    async with _run(queue, concurrency=8) as (
        worker,
        _stop,
    ):
        await until(lambda: "slow" in arrived, timeout=10.0, interval=0.01)
        queue.add(2, f"{base}/fast")
        worker.notify()  # what a NOTIFY from the publishing transaction does
        await until(lambda: "/fast" in arrived, timeout=3.0, interval=0.01)
        assert 1 not in queue.done  # the slow one is still in flight
        release.set()
        await until(lambda: sorted(queue.done) == [1, 2], timeout=10.0, interval=0.01)


async def test_claims_rows_in_batches_not_one_per_finished_delivery(
    receiver: tuple[str, list[str], asyncio.Event],
) -> None:
    base, arrived, _release = receiver
    queue = MemoryQueue()
    for i in range(40):
        queue.add(i, f"{base}/fast/{i}")
    async with _run(queue, concurrency=8):
        await until(lambda: len(queue.done) == 40, timeout=10.0, interval=0.01)
    assert sorted(queue.done) == list(range(40))
    assert len(arrived) == 40
    # 40 rows through 8 slots: a claim waits for a quarter of the slots to be free, so every
    # claim but the one that took the last rows took at least 2 (not one per finished row)
    nonempty = [n for n in queue.claims if n]
    assert all(n >= 2 for n in nonempty[:-1]), queue.claims
    assert sum(queue.claims) == 40


async def test_deliveries_stuck_on_hanging_hosts_do_not_take_the_healthy_ones_slots(
    receiver: tuple[str, list[str], asyncio.Event], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With every slot held by hosts that do not answer, the rest still go out: a delivery
    waiting on its host for SLOW_AFTER stops counting against the concurrency."""
    from federation.delivery import worker as worker_module

    monkeypatch.setattr(worker_module, "SLOW_AFTER", 0.2)
    base, arrived, release = receiver
    queue = MemoryQueue()
    for i in range(4):  # four hosts that hang (one receiver stands for them all)
        queue.add(i, f"{base}/slow", host=f"hanging-{i}.example")
    for i in range(4, 14):
        queue.add(i, f"{base}/fast/{i}")
    async with _run(queue, concurrency=4):
        await until(lambda: arrived.count("slow") == 4, timeout=10.0, interval=0.01)
        await until(
            lambda: sorted(queue.done) == list(range(4, 14)),
            timeout=10.0,
            interval=0.01,
        )
        assert arrived.count("slow") == 4  # still held, not answered
        release.set()
        await until(lambda: len(queue.done) == 14, timeout=10.0, interval=0.01)
