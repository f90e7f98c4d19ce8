"""Fan-out benchmark: prints figures (no assertions).

Run: python -m tests.benchmarks.fanout [--hosts 100,1000,5000] [--schemes http,https]
                                       [--workers auto]

`movement-node serve` in its own process (`worker_processes` as given; the default `auto`
on 2 cores is `serve` serving and one niced worker process delivering), on one PostgreSQL.
For each scheme and host count, a group followed by 10 followers on each of HOSTS hosts
(each with a shared inbox, on loopback addresses 127.0.x.y) publishes twice: cold (no
connection open to any of them yet) and warm (right after, connections kept alive). Each
post is HOSTS signed deliveries. The hosts are served by one receiver process (as remote
servers with CPUs of their own would be): a lean HTTP/1.1 inbox that reads each request
whole and answers 202, over TLS for https (one certificate per 250 addresses, from a CA the
node is told to trust).

Printed for each post: the time from the post command's return (the activity stored and its
deliveries queued) to the last delivery acknowledged, deliveries/s beside the two-core
signing bound (RSA-2048 signatures a second in two processes at once, measured in the same
run: each delivery costs one), CPU per delivery of the node, PostgreSQL and the receiver,
any duplicate delivery (a host that got more than one copy of a post) or missing one, and
the node's peak memory (RSS of `serve` and its worker processes). Then, to fresh receivers,
the stack's own ceiling: a plain aiohttp client signing and POSTing the same number of
deliveries, cold and warm (tests.benchmarks.plainclient), and the node's ratio to it.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import multiprocessing
import os
import re
import signal
import ssl
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from federation.sig.keys import generate_rsa
from node.storage.embedded import running
from tests.benchmarks.plainclient import plain_client
from tests.benchmarks.readpath import _cli, wait_healthy
from tests.conftest import free_port, node_env
from tests.tls import tls_chains

HOSTS = 1000  # the default for other benchmarks that borrow the receiver
FOLLOWERS_PER_HOST = 10
PER_CERTIFICATE = 10  # real certificates name a few hosts; 250 addresses in one cost 0.4 ms a handshake


def _host(i: int) -> str:
    return f"127.0.{1 + i // 250}.{1 + i % 250}"


class _Inbox(asyncio.Protocol):
    """A minimal HTTP/1.1 inbox: reads each request whole (headers and Content-Length body),
    counts it for its host, answers 202, keeps the connection alive. The receivers stand for
    remote servers that have CPUs of their own; a full web framework here would take the
    node's."""

    def __init__(self, host: int, counts: Any, clock: Any) -> None:
        self._host, self._counts, self._clock = host, counts, clock
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
            now = time.time()
            if not self._clock[0]:
                self._clock[0] = now
            self._clock[1] = now
            self._counts[self._host] += 1
            self._counts[-1] += 1  # the total, read by the benchmark while it waits
            assert self._transport is not None
            self._transport.write(b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n")


def _receiver_process(
    port: int,
    ready: Any,
    counts: Any,
    clock: Any,
    hosts: int = HOSTS,
    chains: list[str] | None = None,
) -> None:
    """Serve `hosts` receiving hosts from a separate process (as remote servers would be):
    `counts[i]` is what host i received, `counts[-1]` the total, `clock` the first and last
    arrival (time.time())."""

    async def serve() -> None:
        loop = asyncio.get_running_loop()
        contexts = []
        for chain in chains or []:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(chain)
            contexts.append(context)
        for i in range(hosts):
            tls = contexts[i // PER_CERTIFICATE] if contexts else None
            await loop.create_server(
                functools.partial(_Inbox, i, counts, clock), _host(i), port, ssl=tls
            )
        ready.set()
        await asyncio.sleep(3600)

    asyncio.run(serve())


@dataclass
class Receivers:
    """A receiver process and what it shares with the benchmark."""

    process: Any
    counts: Any
    clock: Any
    hosts: int
    port: int
    scheme: str

    @classmethod
    def start(
        cls, hosts: int, scheme: str = "http", chains: list[Path] | None = None
    ) -> Receivers:
        ctx = multiprocessing.get_context("spawn")
        port = free_port(_host(0))
        ready = ctx.Event()
        counts, clock = ctx.RawArray("i", hosts + 1), ctx.RawArray("d", 2)
        files = [str(c) for c in chains or []]
        process = ctx.Process(
            target=_receiver_process,
            args=(port, ready, counts, clock, hosts, files),
            daemon=True,
        )
        process.start()
        if not ready.wait(120):
            raise RuntimeError("the receivers did not start")
        return cls(process, counts, clock, hosts, port, scheme)

    def base(self, i: int) -> str:
        return f"{self.scheme}://{_host(i)}:{self.port}"

    @property
    def total(self) -> int:
        return int(self.counts[-1])

    def stop(self) -> None:
        self.process.terminate()
        self.process.join(10)


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU time of a process so far (Linux /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    """`pid` and the processes whose parent it is (Linux /proc)."""
    found = [pid]
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return found


def rss_mb(pids: list[int]) -> float:
    """Resident memory of `pids` together (Linux /proc), in MB."""
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def _postgres_pids(pgdata: Path) -> list[int]:
    """The embedded PostgreSQL's postmaster (first line of postmaster.pid) and its children."""
    try:
        return children(int((pgdata / "postmaster.pid").read_text().split()[0]))
    except (OSError, ValueError, IndexError):
        return []


def _sign_for(seconds: float) -> float:
    key = generate_rsa()
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        key.sign(
            f"(request-target): post /inbox\nhost: x\ndate: {n}".encode(),
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
        n += 1
    return n / (time.perf_counter() - start)


def plain_client_rates(
    hosts: int, scheme: str, chains: list[Path] | None, ca_file: Path | None
) -> list[float]:
    """plain_client's cold and warm deliveries/s to `hosts` fresh receivers."""
    receivers = Receivers.start(hosts, scheme, chains)
    try:
        ctx = multiprocessing.get_context("spawn")
        out = ctx.Queue()
        urls = [f"{receivers.base(i)}/inbox" for i in range(hosts)]
        proc = ctx.Process(
            target=plain_client,
            args=(urls, str(ca_file) if ca_file else None, out),
        )
        proc.start()
        rates: list[float] = out.get(timeout=600)
        proc.join()
        return rates
    finally:
        receivers.stop()


def two_core_bound(seconds: float = 2.0) -> float:
    """RSA-2048 signatures a second by two processes signing at once."""
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        return sum(pool.map(_sign_for, [seconds, seconds]))


async def _post(
    env: dict[str, str],
    group: str,
    receivers: Receivers,
    node_pids: list[int],
    pg_pids: list[int],
    posted: int,
) -> dict[str, float]:
    """One post by `group`; waits until every host has it once; returns the figures."""
    receivers.clock[0] = 0.0
    cpu = [sum(map(cpu_seconds, p)) for p in (node_pids, pg_pids)]
    cpu.append(cpu_seconds(receivers.process.pid))
    await _cli(env, "post", group, f"Fan out, number {posted}!")
    returned = time.time()
    peak = rss_mb(node_pids)
    expected = receivers.hosts * posted
    waited = 0.0
    while receivers.total < expected and waited < 120:
        await asyncio.sleep(0.05)
        waited += 0.05
        peak = max(peak, rss_mb(node_pids))
    await asyncio.sleep(0.5)  # a duplicate sent late would arrive by now
    after = [sum(map(cpu_seconds, p)) for p in (node_pids, pg_pids)]
    after.append(cpu_seconds(receivers.process.pid))
    got = list(receivers.counts[:-1])
    seconds = receivers.clock[1] - min(returned, receivers.clock[0] or returned)
    return {
        "seconds": seconds,
        "node": after[0] - cpu[0],
        "pg": after[1] - cpu[1],
        "receiver": after[2] - cpu[2],
        "duplicates": sum(max(0, c - posted) for c in got),
        "missing": sum(max(0, posted - c) for c in got),
        "rss": peak,
    }


def serve_env(
    dsn: str, tmp: str, port: int, workers: str, **extra: str
) -> dict[str, str]:
    """The environment of a benchmark `serve` on 127.0.0.1:`port`, federating with
    loopback peers, logging errors only."""
    return node_env(
        dsn,
        MOVEMENT_NODE_URL=f"http://127.0.0.1:{port}",
        MOVEMENT_NODE_PORT=str(port),
        MOVEMENT_NODE_DATA_DIR=tmp,
        MOVEMENT_NODE_WORKER_PROCESSES=workers,
        MOVEMENT_NODE_LOG_LEVEL="error",
        MOVEMENT_NODE_ALLOW_PRIVATE_NETWORK="true",
        **extra,
    )


async def followed_group(
    env: dict[str, str], conn: asyncpg.Connection, receivers: Receivers, group: str
) -> str:
    """A new group `group` followed by FOLLOWERS_PER_HOST followers on every receiver."""
    await _cli(env, "group", "create", group)
    group_id = await conn.fetchval("SELECT id FROM local_actors WHERE name = $1", group)
    rows = [
        (
            group_id,
            f"{receivers.base(h)}/users/u{f}",
            f"{receivers.base(h)}/users/u{f}/inbox",
            f"{receivers.base(h)}/inbox",
        )
        for h in range(receivers.hosts)
        for f in range(FOLLOWERS_PER_HOST)
    ]
    await conn.executemany(
        "INSERT INTO followers (local_actor_id, follower, state, inbox, shared_inbox)"
        " VALUES ($1, $2, 'accepted', $3, $4)",
        rows,
    )
    return group


async def main(hosts: list[int], schemes: list[str], workers: str) -> None:
    bound = two_core_bound()
    print(f"two-core bound: {bound:.0f} RSA-2048 signatures/s (two processes at once)")
    with tempfile.TemporaryDirectory() as tmp, running(Path(tmp) / "pgdata") as dsn:
        groups = [
            tuple(_host(i) for i in range(s, min(s + PER_CERTIFICATE, max(hosts))))
            for s in range(0, max(hosts), PER_CERTIFICATE)
        ]
        ca_file, chains = tls_chains(Path(tmp), groups)
        port = free_port()
        env = serve_env(dsn, tmp, port, workers, SSL_CERT_FILE=str(ca_file))
        node = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "node", "serve", env=env
        )
        conn = await asyncpg.connect(dsn)
        try:
            await wait_healthy(f"http://127.0.0.1:{port}")
            await asyncio.sleep(2.0)  # its worker processes connect and register
            node_pids = children(node.pid)
            pg_pids = _postgres_pids(Path(tmp) / "pgdata")
            print(
                f"node: `serve`, worker_processes={workers}: {len(node_pids)} processes"
            )
            for scheme in schemes:
                for n in hosts:
                    receivers = Receivers.start(
                        n, scheme, chains if scheme == "https" else None
                    )
                    try:
                        group = await followed_group(
                            env, conn, receivers, f"g{scheme}{n}"
                        )
                        node_rates = []
                        for posted, kind in ((1, "cold"), (2, "warm")):
                            got = await _post(
                                env, group, receivers, node_pids, pg_pids, posted
                            )
                            node_rates.append(_print(scheme, n, kind, got, bound))
                    finally:
                        receivers.stop()
                    plain = plain_client_rates(
                        n,
                        scheme,
                        chains if scheme == "https" else None,
                        ca_file if scheme == "https" else None,
                    )
                    print(
                        f"{scheme:5} {n:5} hosts, a plain aiohttp client signing and"
                        f" POSTing (nothing else): cold {plain[0]:.0f}/s, warm"
                        f" {plain[1]:.0f}/s = {plain[1] / bound:.0%} of the two-core"
                        f" bound; the node is {node_rates[0] / plain[0]:.2f} /"
                        f" {node_rates[1] / plain[1]:.2f} of it"
                    )
        finally:
            await conn.close()
            node.send_signal(signal.SIGTERM)
            await node.wait()
    print(f"two-core bound after: {two_core_bound():.0f} signatures/s")


def _print(
    scheme: str, hosts: int, kind: str, got: dict[str, float], bound: float
) -> float:
    """Print one post's figures; returns its deliveries/s."""
    rate = hosts / got["seconds"] if got["seconds"] > 0 else float("inf")
    print(
        f"{scheme:5} {hosts:5} hosts {kind}: {got['seconds']:.2f} s, {rate:.0f} deliveries/s"
        f" = {rate / bound:.0%} of the two-core bound | CPU per delivery: node"
        f" {got['node'] / hosts * 1000:.2f} ms, PostgreSQL {got['pg'] / hosts * 1000:.2f} ms,"
        f" receiver {got['receiver'] / hosts * 1000:.2f} ms | duplicates"
        f" {got['duplicates']:.0f}, missing {got['missing']:.0f} | node RSS peak"
        f" {got['rss']:.0f} MB"
    )
    return rate


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--hosts", default="100,1000,5000")
    parser.add_argument("--schemes", default="http,https")
    parser.add_argument("--workers", default="auto")
    args = parser.parse_args()
    asyncio.run(
        main(
            [int(h) for h in args.hosts.split(",")],
            args.schemes.split(","),
            args.workers,
        )
    )
