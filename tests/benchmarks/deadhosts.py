"""Dead hosts benchmark: prints figures (no assertions).

Run: python -m tests.benchmarks.deadhosts [HOSTS, default 1000] [HANGING %, default 10]

One post by a group whose followers sit on HOSTS hosts (a shared inbox each, all on
loopback addresses 127.0.x.y, served by a separate process). Twice, with the same node
process (`serve --role all`'s in-process worker):

1. without the hanging hosts: only the healthy ones follow (the ceiling);
2. with them: a tenth of the hosts (by default) accept the connection, read the request and
   never answer, as a dead server behind a live load balancer does.

It prints how long the healthy hosts took in each run, the ratio, and the most requests
any hanging host held at once (the per-host cap bounds it; the healthy ones must not wait
for the 10 s request deadline of the hanging ones).
"""

from __future__ import annotations

import asyncio
import functools
import multiprocessing
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from aiohttp import web

from federation.fetch import guard
from node.config import Settings
from node.logging import configure_logging
from node.runtime import appkeys
from node.runtime.app import create_app
from node.services.actors import create_actor
from node.services.publish import post_note
from node.storage.embedded import running
from tests.benchmarks.fanout import _host, _Inbox
from tests.conftest import free_port


class _Hanging(asyncio.Protocol):
    """Reads whatever comes and never answers; counts connections held at once."""

    def __init__(self, held: Any, most: Any) -> None:
        self._held, self._most = held, most

    def connection_made(self, transport: Any) -> None:
        with self._held.get_lock():
            self._held.value += 1
            self._most.value = max(self._most.value, self._held.value)

    def data_received(self, data: bytes) -> None:
        return None

    def connection_lost(self, exc: BaseException | None) -> None:
        with self._held.get_lock():
            self._held.value -= 1


def _receivers(
    port: int,
    healthy: list[int],
    hanging: list[int],
    ready: Any,
    counts: Any,
    clock: Any,
    held: Any,
    most: Any,
) -> None:
    async def serve() -> None:
        loop = asyncio.get_running_loop()
        for i in healthy:
            await loop.create_server(
                functools.partial(_Inbox, i, counts, clock), _host(i), port
            )
        for i in hanging:
            await loop.create_server(lambda: _Hanging(held, most), _host(i), port)
        ready.set()
        await asyncio.sleep(3600)

    asyncio.run(serve())


async def run(
    app: web.Application, *, name: str, healthy: list[int], hanging: list[int]
) -> float:
    """One fan-out; seconds until every healthy host acknowledged."""
    pool = app[appkeys.DB]
    port = free_port()
    group = await create_actor(pool, kind="group", name=name)
    rows = [
        (
            group.id,
            f"http://{_host(h)}:{port}/users/u",
            f"http://{_host(h)}:{port}/users/u/inbox",
            f"http://{_host(h)}:{port}/inbox",
        )
        for h in healthy + hanging
    ]
    await pool.executemany(
        "INSERT INTO followers (local_actor_id, follower, state, inbox, shared_inbox) "
        "VALUES ($1, $2, 'accepted', $3, $4)",
        rows,
    )
    ctx = multiprocessing.get_context("spawn")
    counts, clock = ctx.RawArray("i", max(healthy + hanging) + 2), ctx.RawArray("d", 2)
    ready, held, most = (
        ctx.Event(),
        ctx.Value("i", 0),
        ctx.Value("i", 0),
    )
    receiver = ctx.Process(
        target=_receivers,
        args=(port, healthy, hanging, ready, counts, clock, held, most),
        daemon=True,
    )
    receiver.start()
    try:
        await asyncio.to_thread(ready.wait, 60)
        start = time.perf_counter()
        await post_note(
            pool, base_url=app[appkeys.SETTINGS].url, actor_name=name, text="Fan out!"
        )
        app[appkeys.DELIVERY_WORKER].notify()
        while counts[-1] < len(healthy):
            await asyncio.sleep(0.005)
        elapsed = time.perf_counter() - start
        if hanging:
            await asyncio.sleep(0.5)
            print(
                f"  {name}: at most {most.value} request(s) held by the {len(hanging)} hanging hosts at once "
                f"(cap: 4 per host, so at most {4 * len(hanging)})"
            )
    finally:
        receiver.terminate()
        receiver.join(10)
    return elapsed


def node_settings(data_dir: Path, dsn: str, port: int) -> Settings:
    """A benchmark node on 127.0.0.1:`port` over `dsn`, federating with loopback peers."""
    return replace(
        Settings(),
        url=f"http://127.0.0.1:{port}",
        port=port,
        database_url=dsn,
        allow_private_network=True,
        data_dir=data_dir,
    )


async def main(hosts: int, hanging_share: float) -> None:
    configure_logging(json=True, level="error")
    every = round(1 / hanging_share) if hanging_share > 0 else hosts + 1
    hanging = [i for i in range(hosts) if i % every == every - 1]
    healthy = [i for i in range(hosts) if i % every != every - 1]
    with tempfile.TemporaryDirectory() as tmp, running(Path(tmp) / "pgdata") as dsn:
        port = free_port()
        app = create_app(node_settings(Path(tmp), dsn, port))
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        try:
            ceiling = await run(app, name="healthy", healthy=healthy, hanging=[])
            print(
                f"dead hosts: {len(healthy)} healthy hosts alone: {ceiling:.2f} s (the ceiling)"
            )
            with_dead = await run(app, name="mixed", healthy=healthy, hanging=hanging)
            print(
                f"dead hosts: the same {len(healthy)} with {len(hanging)} hanging hosts: {with_dead:.2f} s "
                f"({with_dead / ceiling:.2f}x the ceiling; the guarantee: under the ceiling plus one "
                f"{guard.TIMEOUT_SECONDS:.0f} s request deadline, {ceiling + guard.TIMEOUT_SECONDS:.1f} s)"
            )
        finally:
            await runner.cleanup()


if __name__ == "__main__":
    hosts = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    share = float(sys.argv[2]) / 100 if len(sys.argv) > 2 else 0.10
    asyncio.run(main(hosts, share))
