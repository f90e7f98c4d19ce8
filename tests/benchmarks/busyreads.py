"""Reads during a fan-out benchmark: prints figures (no assertions).

Run: python -m tests.benchmarks.busyreads [POSTS, default 5] [RATE, default 500]

`movement-node serve` in its own process, on one PostgreSQL, a group followed by 10,000
followers on 1,000 hosts (a receiver process answering for all of them, as remote servers
with CPUs of their own). A load generator in a third process offers RATE actor GETs a second
(open loop) for 5 s with nothing else going on, then again while the group publishes POSTS
posts (POSTS x 1,000 signed deliveries). It prints served/s and p99 for both, the time from
the first `post` command (each its own CLI process, ~1 s to start) to the last delivery
acknowledged, and the node's memory (RSS of its processes) at the end, for two
arrangements in the same run: `worker_processes = 0` (one process serves and delivers) and
the default (`auto`: on 2 cores one worker process delivers, niced, while `serve` serves).
"""

from __future__ import annotations

import asyncio
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import asyncpg

from node.storage.embedded import running
from tests.benchmarks.fanout import (
    HOSTS,
    Receivers,
    children,
    followed_group,
    rss_mb,
    serve_env,
)
from tests.benchmarks.readpath import AP, _cli, _get, measure, wait_healthy
from tests.conftest import free_port

SECONDS = 5.0


async def _arrangement(dsn: str, tmp: str, workers: str, posts: int, rate: int) -> None:
    port = free_port()
    host = f"127.0.0.1:{port}"
    env = serve_env(dsn, tmp, port, workers)
    receivers = await asyncio.to_thread(Receivers.start, HOSTS)
    node = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "node", "serve", env=env
    )
    try:
        await wait_healthy(f"http://{host}")
        conn = await asyncpg.connect(dsn)
        group = await followed_group(env, conn, receivers, f"g{workers}")
        actor = (f"http://{host}/actors/{group}", {"Accept": AP})
        await _get(*actor)
        quiet = measure(*actor, rate, SECONDS)
        result: dict[str, Any] = {}
        reading = threading.Thread(
            target=lambda: result.update(busy=measure(*actor, rate, SECONDS))
        )
        start = time.perf_counter()
        reading.start()
        for i in range(posts):
            await _cli(env, "post", group, f"Fan out, number {i}!")
        while receivers.total < posts * HOSTS:
            await asyncio.sleep(0.05)
        delivered = time.perf_counter() - start
        await asyncio.to_thread(reading.join)
        rss = rss_mb(children(node.pid))
        await conn.close()
    finally:
        node.send_signal(signal.SIGTERM)
        await node.wait()
        receivers.stop()
    busy = result["busy"]
    print(
        f"worker_processes={workers:5} actor GET at {rate}/s: quiet {quiet[0]:.0f}/s "
        f"p99 {quiet[1]:.1f} ms | during the fan-out {busy[0]:.0f}/s p99 {busy[1]:.1f} ms"
        f" | {posts * HOSTS} deliveries {delivered:.1f} s after the first post"
        f" | node RSS {rss:.0f} MB"
    )


async def main(posts: int, rate: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, running(Path(tmp) / "pgdata") as dsn:
        for workers in ("0", "auto"):
            await _arrangement(dsn, tmp, workers, posts, rate)


if __name__ == "__main__":
    asyncio.run(
        main(
            int(sys.argv[1]) if len(sys.argv) > 1 else 5,
            int(sys.argv[2]) if len(sys.argv) > 2 else 500,
        )
    )
