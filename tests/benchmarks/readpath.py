"""Read path benchmark: prints figures (no assertions).

Run: python -m tests.benchmarks.readpath [SECONDS per step, default 5] [TARGET…]

`movement-node serve` (one process, as `serve` runs by default on 2 cores less its worker)
serves a group's actor document (unsigned, as a peer bootstrapping its key fetches it),
WebFinger, the outbox's first page and the group's HTML page. The ceiling, measured in the
same run: a plain aiohttp handler in its own process returning the same bytes with the same
content type. The load generator runs in a third process and offers a fixed rate (open loop:
requests leave on schedule whether or not earlier ones answered, up to 256 in flight),
500, 1,000 and 2,000 requests a second; it prints what was served per second and the p99
latency of each target beside the ceiling's.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from node.storage.embedded import running
from tests.conftest import free_port, node_env

RATES = (500, 1000, 2000)
IN_FLIGHT = 256
AP = "application/activity+json"


def _targets(base: str, host: str) -> dict[str, tuple[str, dict[str, str]]]:
    return {
        "actor": (f"{base}/actors/tenants", {"Accept": AP}),
        "webfinger": (
            f"{base}/.well-known/webfinger?resource=acct:tenants@{host}",
            {},
        ),
        "outbox page": (f"{base}/actors/tenants/outbox?page=1", {"Accept": AP}),
        "html page": (f"{base}/actors/tenants", {"Accept": "text/html"}),
    }


def _plain(port: int, answers: dict[str, tuple[bytes, str]], ready: Any) -> None:
    """The ceiling: each path answers its bytes, nothing else."""

    async def serve() -> None:
        app = web.Application()
        for path, (body, ctype) in answers.items():

            async def handler(
                _r: web.Request, body: bytes = body, ctype: str = ctype
            ) -> web.Response:
                return web.Response(body=body, headers={"Content-Type": ctype})

            app.router.add_get(path, handler)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        ready.set()
        await asyncio.sleep(3600)

    asyncio.run(serve())


def _load(
    url: str, headers: dict[str, str], rate: int, seconds: float, out: Any
) -> None:
    """Offer `rate` GETs a second for `seconds`; put (served, p99 ms, errors) on `out`."""

    async def run() -> None:
        latencies: list[float] = []
        errors = 0
        gate = asyncio.Semaphore(IN_FLIGHT)
        connector = aiohttp.TCPConnector(limit=IN_FLIGHT)
        async with aiohttp.ClientSession(connector=connector) as session:

            async def one() -> None:
                nonlocal errors
                async with gate:
                    start = time.perf_counter()
                    try:
                        async with session.get(url, headers=headers) as resp:
                            await resp.read()
                            if resp.status != 200:
                                errors += 1
                                return
                    except aiohttp.ClientError:
                        errors += 1
                        return
                    latencies.append(time.perf_counter() - start)

            tasks = []
            begin = time.perf_counter()
            total = int(rate * seconds)
            for i in range(total):
                due = begin + i / rate
                if (wait := due - time.perf_counter()) > 0:
                    await asyncio.sleep(wait)
                tasks.append(asyncio.create_task(one()))
            await asyncio.gather(*tasks)
            elapsed = time.perf_counter() - begin
        latencies.sort()
        p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000 if latencies else 0.0
        out.put((len(latencies) / elapsed, p99, errors))

    asyncio.run(run())


def measure(
    url: str, headers: dict[str, str], rate: int, seconds: float
) -> tuple[float, float, int]:
    out: Any = multiprocessing.Queue()
    proc = multiprocessing.Process(
        target=_load, args=(url, headers, rate, seconds, out)
    )
    proc.start()
    result: tuple[float, float, int] = out.get(timeout=seconds * 10 + 60)
    proc.join()
    return result


async def _cli(env: dict[str, str], *args: str) -> str:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "node", *args, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    return out.decode()


async def _get(url: str, headers: dict[str, str]) -> tuple[bytes, str]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(url, headers=headers) as r,
    ):
        assert r.status == 200, (url, r.status)
        return await r.read(), r.headers["Content-Type"]


async def wait_healthy(url: str) -> None:
    """Until the node at `url` answers /healthz (60 s at most)."""
    for _ in range(600):
        try:
            await _get(f"{url}/healthz", {})
            return
        except (aiohttp.ClientError, AssertionError):
            await asyncio.sleep(0.1)


async def main(seconds: float, only: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp, running(Path(tmp) / "pgdata") as dsn:
        port = free_port()
        host = f"127.0.0.1:{port}"
        env = node_env(
            dsn,
            MOVEMENT_NODE_URL=f"http://{host}",
            MOVEMENT_NODE_PORT=str(port),
            MOVEMENT_NODE_DATA_DIR=tmp,
            MOVEMENT_NODE_WORKER_PROCESSES="0",
            MOVEMENT_NODE_LOG_LEVEL="error",
            MOVEMENT_NODE_ALLOW_PRIVATE_NETWORK="true",
        )
        node = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "node", "serve", env=env
        )
        try:
            await wait_healthy(f"http://{host}")
            await _cli(
                env, "group", "create", "tenants", "--display-name", "Tenants Union"
            )
            for i in range(20):
                await _cli(
                    env, "post", "tenants", f"Post number {i} of the tenants union."
                )
            targets = _targets(f"http://{host}", host)
            answers: dict[str, tuple[bytes, str]] = {}
            for url, headers in targets.values():
                body, ctype = await _get(url, headers)
                path = url.split(host, 1)[1].split("?", 1)[0]
                answers.setdefault(path, (body, ctype))
            # the actor and the HTML page share a path: the plain server answers each
            # by its own route, so the HTML page gets a path of its own there
            plain_port = free_port()
            html_body = await _get(*targets["html page"])
            ready = multiprocessing.Event()
            plain_answers = dict(answers) | {"/html": html_body}
            plain = multiprocessing.Process(
                target=_plain, args=(plain_port, plain_answers, ready), daemon=True
            )
            plain.start()
            ready.wait(30)
            base = f"http://127.0.0.1:{plain_port}"
            plain_targets = {
                name: (
                    base + ("/html" if name == "html page" else url.split(host, 1)[1]),
                    headers,
                )
                for name, (url, headers) in targets.items()
            }
            print(
                f"{seconds:g} s per step; served/s and p99 (ms); ratio = node / plain"
            )
            print(
                f"{'target':12} {'offered':>8} {'node/s':>8} {'p99':>7} {'plain/s':>8} {'p99':>7} {'ratio':>6}"
            )
            rows = []
            for name in targets:
                if only and name.split()[0] not in only:
                    continue
                for rate in RATES:
                    n = measure(*targets[name], rate, seconds)
                    p = measure(*plain_targets[name], rate, seconds)
                    ratio = n[0] / p[0] if p[0] else 0.0
                    rows.append(
                        {"target": name, "offered": rate, "node": n, "plain": p}
                    )
                    print(
                        f"{name:12} {rate:>8} {n[0]:>8.0f} {n[1]:>7.1f} {p[0]:>8.0f} "
                        f"{p[1]:>7.1f} {ratio:>6.2f}"
                        + (f"  ({n[2]} errors)" if n[2] else "")
                    )
            plain.kill()
            if out := os.environ.get("BENCH_JSON"):
                Path(out).write_text(json.dumps(rows))
        finally:
            node.send_signal(signal.SIGTERM)
            await node.wait()


if __name__ == "__main__":
    asyncio.run(main(float(sys.argv[1]) if len(sys.argv) > 1 else 5.0, sys.argv[2:]))
