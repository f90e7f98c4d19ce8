"""Fan-out and inbox benchmark: prints figures (no assertions).

Run: python -m tests.benchmarks.fanout [EXTRA_WORKER_PROCESSES, default 1]

1. One post to 10,000 followers on 1,000 hosts (each with a shared inbox, all on loopback
   addresses 127.0.x.y) -> 1,000 signed deliveries; wall time, deliveries/s, CPU per
   delivery (node processes, PostgreSQL, receivers), and the RSA signing rate measured in
   the same run (each delivery costs one signature). Run twice: by the node's one process (`serve --role all`), then with extra
   `serve --role worker` processes sharing the queue (one process per core on 2 cores).
2. 5,000 signed Like activities POSTed to the node's shared inbox by 50 concurrent
   clients: p50/p99 latency, accepted activities/s, and when all of them were applied.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import re
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
from node.config import Settings
from node.logging import configure_logging
from node.runtime import appkeys
from node.runtime.app import create_app
from node.services.actors import create_actor
from node.services.publish import post_note
from node.storage.embedded import running
from tests.conftest import free_port
from tests.peer import Peer

HOSTS = 1000
FOLLOWERS_PER_HOST = 10
INBOX_ACTIVITIES = 5000
CLIENTS = 50
EXTRA_WORKERS = (
    1  # `serve --role worker` processes added for the second fan-out (argv[1])
)


def _host(i: int) -> str:
    return f"127.0.{1 + i // 250}.{1 + i % 250}"


class _Inbox(asyncio.Protocol):
    """A minimal HTTP/1.1 inbox: reads each request whole (headers and Content-Length body),
    counts it, answers 202, keeps the connection alive. The receivers stand for remote
    servers that have CPUs of their own; a full web framework here would take the node's."""

    def __init__(self, count: Any) -> None:
        self._count = count
        self._buf = b""
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self._buf += data
        while (end := self._buf.find(b"\r\n\r\n")) >= 0:
            head = self._buf[:end].decode("latin-1").lower()
            match = re.search(r"\r\ncontent-length:\s*(\d+)", head)
            size = int(match[1]) if match else 0
            if len(self._buf) < end + 4 + size:
                return
            self._buf = self._buf[end + 4 + size :]
            if not head.startswith("post /inbox "):
                raise RuntimeError(f"unexpected request {head.splitlines()[0]!r}")
            with self._count.get_lock():
                self._count.value += 1
            assert self._transport is not None
            self._transport.write(b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n")


def _receiver_process(port: int, ready: Any, count: Any) -> None:
    """Serve 1,000 receiving hosts from a separate process (as remote servers would be)."""

    async def serve() -> None:
        loop = asyncio.get_running_loop()
        for i in range(HOSTS):
            await loop.create_server(lambda: _Inbox(count), _host(i), port)
        ready.set()
        await asyncio.sleep(3600)

    asyncio.run(serve())


def _cpu_seconds(pid: int | None) -> float:
    """User + system CPU time of a process so far (Linux /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _postgres_pids(pgdata: Path) -> list[int]:
    """The embedded PostgreSQL's postmaster (first line of postmaster.pid) and its children."""
    try:
        postmaster = int((pgdata / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return []
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == postmaster:
                children.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return [postmaster, *children]


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


async def fanout(
    app: web.Application,
    port: int,
    *,
    group_name: str,
    node_pids: list[int],
    pgdata: Path,
) -> None:
    """One post by a new group with 10,000 followers -> 1,000 deliveries; prints figures."""
    pool = app[appkeys.DB]
    group = await create_actor(pool, kind="group", name=group_name)
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
        node_cpu = -sum(map(_cpu_seconds, node_pids))
        receiver_cpu = -_cpu_seconds(receiver.pid)
        pg_pids = _postgres_pids(pgdata)  # its connections are open by now
        pg_cpu = -sum(map(_cpu_seconds, pg_pids))
        start = time.perf_counter()
        await post_note(
            pool,
            base_url=app[appkeys.SETTINGS].url,
            actor_name=group_name,
            text="Fan out!",
        )
        published = time.perf_counter() - start
        app[appkeys.DELIVERY_WORKER].notify()
        while count.value < HOSTS:
            await asyncio.sleep(0.01)
        while await pool.fetchval("SELECT count(*) FROM deliveries"):
            await asyncio.sleep(0.01)
        elapsed = time.perf_counter() - start
        node_cpu += sum(map(_cpu_seconds, node_pids))
        receiver_cpu += _cpu_seconds(receiver.pid)
        pg_cpu += sum(map(_cpu_seconds, pg_pids))
    finally:
        receiver.terminate()
        receiver.join(10)
    rate = max(rate_before, signing_rate())  # the higher (stricter) of two measurements
    print(
        f"fan-out with {len(node_pids)} node process(es): {len(rows)} followers on {HOSTS} hosts"
        f" -> {count.value} deliveries acknowledged in {elapsed:.2f} s"
    )
    print(
        f"fan-out: publishing (store, plan 10,000 followers, queue {HOSTS} rows) took {published * 1000:.0f} ms"
    )
    print(
        f"fan-out: CPU per delivery: node process(es) {node_cpu / HOSTS * 1000:.2f} ms "
        f"(one signature {1000 / rate:.2f} ms), PostgreSQL {pg_cpu / HOSTS * 1000:.2f} ms, "
        f"receivers {receiver_cpu / HOSTS * 1000:.2f} ms"
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
            pending = "SELECT count(*) FROM inbox WHERE processed_at IS NULL"
            while await app[appkeys.DB].fetchval(pending):
                await asyncio.sleep(0.05)
            applied = time.perf_counter() - start
    finally:
        await runner.cleanup()
    latencies.sort()
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[int(len(latencies) * 0.99)] * 1000
    print(
        f"inbox: {INBOX_ACTIVITIES} signed activities from {CLIENTS} clients in {elapsed:.2f} s: "
        f"{INBOX_ACTIVITIES / elapsed:.0f} accepted/s, p50 {p50:.1f} ms, p99 {p99:.1f} ms"
    )
    print(
        f"inbox: all {INBOX_ACTIVITIES} applied {applied:.2f} s after the first was sent: "
        f"{INBOX_ACTIVITIES / applied:.0f} applied/s"
    )


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


async def main() -> None:
    configure_logging(json=True, level="error")
    with tempfile.TemporaryDirectory() as tmp, running(Path(tmp) / "pgdata") as dsn:
        pgdata = Path(tmp) / "pgdata"
        port = free_port()
        settings = node_settings(Path(tmp), dsn, port)
        url = settings.url
        app = create_app(settings)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        extra: list[asyncio.subprocess.Process] = []
        try:
            print("node: 1 process, web and worker (`serve --role all`)")
            await fanout(
                app,
                free_port(),
                group_name="housing",
                node_pids=[os.getpid()],
                pgdata=pgdata,
            )
            extra = [await _worker_process(dsn, url) for _ in range(EXTRA_WORKERS)]
            print(
                f"node: that process and {EXTRA_WORKERS} `serve --role worker` process(es)"
                " sharing the queue"
            )
            await fanout(
                app,
                free_port(),
                group_name="transport",
                node_pids=[os.getpid(), *(proc.pid for proc in extra)],
                pgdata=pgdata,
            )
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
    EXTRA_WORKERS = int(sys.argv[1]) if len(sys.argv) > 1 else EXTRA_WORKERS
    asyncio.run(main())
