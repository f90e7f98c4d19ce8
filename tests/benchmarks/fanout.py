"""Fan-out and inbox benchmark: prints figures (no assertions).

Run: python -m tests.benchmarks.fanout [EXTRA_WORKER_PROCESSES]

1. One post to 10,000 followers on 1,000 hosts (each with a shared inbox, all on loopback
   addresses 127.0.x.y) -> 1,000 signed deliveries; wall time, deliveries/s, and the RSA
   signing rate measured in the same run (each delivery costs one signature).
2. 5,000 signed Follow activities POSTed to the node's inbox by 50 concurrent clients:
   p50/p99 latency and accepted activities/s.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from federation.sig.keys import generate_rsa
from node import keys
from node.app import create_app
from node.config import Settings
from node.logging import configure_logging
from node.services.actors import create_actor
from node.services.publish import post_note
from node.storage.embedded import running
from tests.conftest import free_port
from tests.peer import Peer

HOSTS = 1000
FOLLOWERS_PER_HOST = 10
INBOX_ACTIVITIES = 5000
CLIENTS = 50
EXTRA_WORKERS = 0  # extra `serve --role worker` processes (argv[1])


def _host(i: int) -> str:
    return f"127.0.{1 + i // 250}.{1 + i % 250}"


def _receiver_process(port: int, ready: Any, count: Any) -> None:
    """Serve 1,000 receiving hosts from a separate process (as remote servers would be)."""

    async def serve() -> None:
        async def inbox(request: web.Request) -> web.Response:
            await request.read()
            with count.get_lock():
                count.value += 1
            return web.Response(status=202)

        app = web.Application()
        app.router.add_post("/inbox", inbox)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        for i in range(HOSTS):
            await web.TCPSite(runner, _host(i), port).start()
        ready.set()
        await asyncio.sleep(3600)

    asyncio.run(serve())


def signing_rate(n: int = 500) -> float:
    key = generate_rsa()
    start = time.perf_counter()
    for i in range(n):
        key.sign(
            f"(request-target): post /inbox\nhost: x\ndate: {i}".encode(),
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
    return n / (time.perf_counter() - start)


async def fanout(app: web.Application, port: int) -> None:
    pool = app[keys.DB]
    group = await create_actor(pool, kind="group", name="housing")
    rows = []
    for h in range(HOSTS):
        base = f"http://{_host(h)}:{port}"
        rows += [
            (
                group.id,
                f"{base}/users/u{f}",
                f"{base}/users/u{f}/inbox",
                f"{base}/inbox",
            )
            for f in range(FOLLOWERS_PER_HOST)
        ]
    await pool.executemany(
        "INSERT INTO followers (local_actor_id, follower, state, inbox, shared_inbox) VALUES ($1, $2, 'accepted', $3, $4)",
        rows,
    )
    ctx = multiprocessing.get_context("spawn")
    ready, count = ctx.Event(), ctx.Value("i", 0)
    receiver = ctx.Process(
        target=_receiver_process, args=(port, ready, count), daemon=True
    )
    receiver.start()
    try:
        await asyncio.to_thread(ready.wait, 60)
        rate_before = signing_rate()
        start = time.perf_counter()
        await post_note(
            pool, base_url=app[keys.SETTINGS].url, actor_name="housing", text="Fan out!"
        )
        app[keys.DELIVERY_WORKER].notify()
        while count.value < HOSTS:
            await asyncio.sleep(0.01)
        while await pool.fetchval("SELECT count(*) FROM deliveries"):
            await asyncio.sleep(0.01)
        elapsed = time.perf_counter() - start
    finally:
        receiver.terminate()
        receiver.join(10)
    received = [count.value]
    rate = max(rate_before, signing_rate())  # the higher (stricter) of two measurements
    print(
        f"fan-out: {len(rows)} followers on {HOSTS} hosts -> {received[0]} deliveries acknowledged in {elapsed:.2f} s"
    )
    print(
        f"fan-out: {HOSTS / elapsed:.0f} deliveries/s; RSA-2048 signing rate {rate:.0f}/s (bound); {HOSTS / elapsed / rate:.0%} of it"
    )


async def inbox_load(app: web.Application, node_url: str) -> None:
    peer_port = free_port("127.0.5.1")
    peer = Peer(f"http://127.0.5.1:{peer_port}")
    for c in range(CLIENTS):
        peer.add(f"c{c}")
    runner = web.AppRunner(peer.app(), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.5.1", peer_port).start()
    target = f"{node_url}/actors/housing"
    prepared: list[list[tuple[bytes, dict[str, str]]]] = [[] for _ in range(CLIENTS)]
    for i in range(INBOX_ACTIVITIES):
        c = i % CLIENTS
        body = json.dumps(
            {
                "id": f"{peer.actor_id(f'c{c}')}#like/{i}",
                "type": "Like",
                "actor": peer.actor_id(f"c{c}"),
                "object": target,
            }
        ).encode()
        prepared[c].append((body, peer.sign_post(f"c{c}", f"{node_url}/inbox", body)))
    latencies: list[float] = []

    async def client(
        items: list[tuple[bytes, dict[str, str]]], session: aiohttp.ClientSession
    ) -> None:
        for body, headers in items:
            t = time.perf_counter()
            async with session.post(
                f"{node_url}/inbox", data=body, headers=headers
            ) as resp:
                await resp.read()
                if resp.status != 202:
                    raise RuntimeError(f"inbox answered {resp.status}")
            latencies.append(time.perf_counter() - t)

    try:
        async with aiohttp.ClientSession() as session:
            start = time.perf_counter()
            await asyncio.gather(*(client(items, session) for items in prepared))
            elapsed = time.perf_counter() - start
    finally:
        await runner.cleanup()
    latencies.sort()
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[int(len(latencies) * 0.99)] * 1000
    print(
        f"inbox: {INBOX_ACTIVITIES} signed activities from {CLIENTS} clients in {elapsed:.2f} s: "
        f"{INBOX_ACTIVITIES / elapsed:.0f} accepted/s, p50 {p50:.1f} ms, p99 {p99:.1f} ms"
    )


async def main() -> None:
    configure_logging(json=True, level="error")
    with tempfile.TemporaryDirectory() as tmp, running(Path(tmp) / "pgdata") as dsn:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        settings = replace(
            Settings(),
            url=url,
            port=port,
            database_url=dsn,
            allow_private_network=True,
            data_dir=Path(tmp),
        )
        app = create_app(settings)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        extra = [await _worker_process(dsn, url) for _ in range(EXTRA_WORKERS)]
        print(
            f"node: 1 web+worker process and {EXTRA_WORKERS} extra `serve --role worker` process(es)"
        )
        try:
            await fanout(app, free_port())
            await inbox_load(app, url)
        finally:
            for proc in extra:
                proc.terminate()
                await proc.wait()
            await runner.cleanup()


async def _worker_process(dsn: str, url: str) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOVEMENT_NODE_")}
    env.update(
        DATABASE_URL=dsn,
        MOVEMENT_NODE_URL=url,
        MOVEMENT_NODE_ALLOW_PRIVATE_NETWORK="true",
        MOVEMENT_NODE_LOG_LEVEL="error",
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "node", "serve", "--role", "worker", env=env
    )
    await asyncio.sleep(2.0)  # let it connect and register before the fan-out starts
    return proc


if __name__ == "__main__":
    EXTRA_WORKERS = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    asyncio.run(main())
