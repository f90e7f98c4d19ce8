"""Confederation aggregation benchmark: prints figures (no assertions).

Run: python -m tests.benchmarks.confederation [NODES] [OBJECTS]   (default 20 and 50)

NODES real nodes, each its own `movement-node serve` process with its own database (on one
embedded PostgreSQL) and loopback address, form one open confederation through the CLI
(`confederation found`, `confederation join`); each node then publishes OBJECTS public
visions through the authoring API. Prints the time until every replica has announced every
object, announces per second, and the HTTP deliveries per object (the mesh cost: each
member's node actor announces to every other member's shared inbox), so one can see how it
grows with the number of members.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

from node.logging import configure_logging
from node.storage import migrate
from node.storage.db import with_database
from node.storage.embedded import running
from tests.conftest import admin_exec, free_port

VISION = {
    "title": "A bioregion where rivers run free",
    "summary": "Dams come down; salmon come back.",
    "body": "Within 20 years.",
    "horizon": 20,
    "place": "Cascadia",
}
CHARTER = 'title = "Cascadia"\nplace = "Cascadia"\nscope = "bioregion"\nmembership = "open"\nquorum = "majority"\n'
ANNOUNCED = """SELECT count(*) FROM confederation_announced n JOIN local_actors a
                 ON a.id = n.replica_actor_id WHERE a.kind = 'confederation'"""
SETUP_PARALLEL = 4  # CLI processes at a time while setting up


@dataclass
class Node:
    index: int
    dsn: str
    url: str
    metrics: str
    env: dict[str, str]
    process: asyncio.subprocess.Process | None = None
    token: str = ""
    db: asyncpg.Connection[Any] | None = field(default=None, repr=False)


def _node(index: int, dsn: str, tmp: Path) -> Node:
    host = f"127.0.1.{index + 1}"
    port, metrics_port = free_port(host), free_port()
    url = f"http://{host}:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOVEMENT_NODE_")}
    env.update(
        DATABASE_URL=with_database(dsn, f"node{index}"),
        MOVEMENT_NODE_URL=url,
        MOVEMENT_NODE_HOST=host,
        MOVEMENT_NODE_PORT=str(port),
        MOVEMENT_NODE_METRICS_PORT=str(metrics_port),
        MOVEMENT_NODE_ALLOW_PRIVATE_NETWORK="true",
        MOVEMENT_NODE_DATA_DIR=str(tmp / f"node{index}"),
        MOVEMENT_NODE_LOG_LEVEL=os.environ.get("BENCH_LOG", "error"),
        MOVEMENT_NODE_WORKER_PROCESSES="0",  # 20 nodes share 2 cores: one process each
    )
    return Node(
        index, env["DATABASE_URL"], url, f"http://127.0.0.1:{metrics_port}/metrics", env
    )


async def _cli(node: Node, *args: str) -> str:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "node",
        *args,
        env=node.env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    if proc.returncode != 0:
        msg = f"node{node.index}: movement-node {' '.join(args)}: {err.decode()[-500:]}"
        raise RuntimeError(msg)
    return out.decode()


async def _bounded(jobs: list[Any], limit: int) -> list[Any]:
    gate = asyncio.Semaphore(limit)

    async def one(job: Any) -> Any:
        async with gate:
            return await job

    return await asyncio.gather(*(one(j) for j in jobs))


async def _start(node: Node, session: aiohttp.ClientSession) -> None:
    node.process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "node", "serve", env=node.env
    )
    for _ in range(600):
        try:
            async with session.get(f"{node.url}/.well-known/nodeinfo") as resp:
                if resp.status == 200:
                    break
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    else:
        msg = f"node{node.index} did not start"
        raise RuntimeError(msg)
    node.db = await asyncpg.connect(node.dsn)


async def _count(nodes: list[Node], sql: str) -> int:
    return sum([int(await n.db.fetchval(sql)) for n in nodes if n.db is not None])


async def _wait(nodes: list[Node], sql: str, target: int, what: str) -> None:
    deadline = time.perf_counter() + 1800
    while (have := await _count(nodes, sql)) < target:
        if time.perf_counter() > deadline:
            raise RuntimeError(f"{what}: {have} of {target} after 30 min")
        await asyncio.sleep(0.2)


async def _delivered(nodes: list[Node], session: aiohttp.ClientSession) -> float:
    """Deliveries acknowledged with a 2xx so far, from every node's /metrics."""
    total = 0.0
    for node in nodes:
        async with session.get(node.metrics) as resp:
            text = await resp.text()
        for line in text.splitlines():
            if line.startswith("movement_deliveries_total{") and (
                'outcome="delivered"' in line
            ):
                total += float(line.rsplit(" ", 1)[1])
    return total


async def _publish(node: Node, session: aiohttp.ClientSession, objects: int) -> None:
    headers = {"Authorization": f"Bearer {node.token}"}
    for n in range(objects):
        async with session.post(
            f"{node.url}/api/v1/visions",
            json=VISION | {"title": f"Vision {n} of node {node.index}"},
            headers=headers,
        ) as resp:
            if resp.status != 201:
                msg = f"node{node.index}: publishing answered {resp.status}: {await resp.text()}"
                raise RuntimeError(msg)


async def bench(dsn: str, tmp: Path, count: int, objects: int) -> None:
    await admin_exec(dsn, 'CREATE DATABASE "template_conf"')
    await migrate.apply_dsn(with_database(dsn, "template_conf"))
    nodes = [_node(i, dsn, tmp) for i in range(count)]
    for node in nodes:
        await admin_exec(
            dsn, f'CREATE DATABASE "node{node.index}" TEMPLATE "template_conf"'
        )
    charter = tmp / "charter.toml"
    charter.write_text(CHARTER)
    async with aiohttp.ClientSession() as session:
        try:
            start = time.perf_counter()
            await _bounded([_start(n, session) for n in nodes], SETUP_PARALLEL)
            print(
                f"nodes: {count} `movement-node serve` processes up in {time.perf_counter() - start:.1f} s"
            )

            async def group(node: Node) -> None:
                await _cli(node, "group", "create", "river_keepers")
                out = await _cli(
                    node,
                    "token",
                    "create",
                    "--actor",
                    "river_keepers",
                    "--label",
                    "bench",
                )
                node.token = out.strip().splitlines()[-1]

            await _bounded([group(n) for n in nodes], SETUP_PARALLEL)
            await _cli(
                nodes[0],
                "confederation",
                "found",
                "cascadia",
                "--charter",
                str(charter),
            )
            start = time.perf_counter()
            replica = f"{nodes[0].url}/actors/cascadia"
            await _bounded(
                [_cli(n, "confederation", "join", replica) for n in nodes[1:]],
                SETUP_PARALLEL,
            )
            await _wait(
                nodes,
                "SELECT count(*) FROM confederation_members",
                count * count,
                "members",
            )
            await _wait(
                nodes,
                "SELECT count(*) FROM following WHERE state = 'accepted'",
                count * (count - 1),
                "mesh",
            )
            print(
                f"confederation: {count} nodes joined and meshed in {time.perf_counter() - start:.1f} s"
            )

            before = await _delivered(nodes, session)
            start = time.perf_counter()
            await asyncio.gather(*(_publish(n, session, objects) for n in nodes))
            published = time.perf_counter() - start
            total = count * objects
            await _wait(nodes, ANNOUNCED, count * total, "announces")
            elapsed = time.perf_counter() - start
            # let the last deliveries be counted (announces can precede their acknowledgement)
            await _wait(nodes, "SELECT -count(*) FROM deliveries", 0, "queue drained")
            delivered = await _delivered(nodes, session) - before
            fetches = await _count(
                nodes, "SELECT count(*) FROM inbox WHERE error IS NOT NULL"
            )
            print(
                f"publishing: {total} objects ({objects} per node, through the API) in {published:.1f} s"
            )
            print(
                f"aggregation: every replica announced every object in {elapsed:.1f} s: "
                f"{count * total / elapsed:.0f} announces/s"
            )
            print(
                f"mesh cost: {delivered:.0f} HTTP deliveries, {delivered / total:.1f} per object "
                f"(2 x (members - 1) = {2 * (count - 1)} expected from each node's two Announces); "
                f"{fetches} inbox activities needed a retry"
            )
        finally:
            for node in nodes:
                if node.db is not None:
                    await node.db.close()
                if node.process is not None and node.process.returncode is None:
                    node.process.terminate()
            for node in nodes:
                if node.process is not None:
                    await node.process.wait()


async def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    objects = int(sys.argv[2]) if len(sys.argv) > 2 else 50
    configure_logging(json=True, level=os.environ.get("BENCH_LOG", "error"))
    with tempfile.TemporaryDirectory() as tmp:
        pgdata = Path(tmp) / "pgdata"
        with running(pgdata) as dsn:  # room for every node's pool and listeners
            await admin_exec(dsn, "ALTER SYSTEM SET max_connections = 800")
        with running(pgdata) as dsn:
            await bench(dsn, Path(tmp), count, objects)


if __name__ == "__main__":
    asyncio.run(main())
