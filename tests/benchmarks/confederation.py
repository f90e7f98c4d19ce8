"""Confederation aggregation benchmark: prints figures (no assertions).

Run: python -m tests.benchmarks.confederation [NODES] [OBJECTS]   (default 20 and 50)

NODES real nodes (each its own app, database, worker and loopback address, all in this
process) form one open confederation; each node then publishes OBJECTS public visions.
Prints the time until every replica has announced every object, announces per second, and
the HTTP deliveries per object (the mesh cost: each member's node actor announces to every
other replica's shared inbox), so one can see how it grows with the number of members.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from aiohttp import web

from node import keys
from node.app import create_app
from node.clock import utcnow
from node.config import Settings
from node.domain.actors import actor_url
from node.logging import configure_logging
from node.services import movement
from node.services.actors import create_actor
from node.services.confederations import found, member_identity
from node.services.joining import ask_to_join, fetch_history
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


async def _delivered(apps: list[web.Application]) -> float:
    total = 0.0
    for app in apps:
        for metric in app[keys.METRICS].registry.collect():
            if metric.name == "movement_deliveries":
                total += sum(
                    s.value
                    for s in metric.samples
                    if s.name.endswith("_total")
                    and s.labels.get("outcome") == "delivered"
                )
    return total


async def _count(apps: list[web.Application], sql: str) -> int:
    return sum([int(await app[keys.DB].fetchval(sql)) for app in apps])


async def _wait(apps: list[web.Application], sql: str, target: int, what: str) -> None:
    deadline = time.perf_counter() + 1800
    while (have := await _count(apps, sql)) < target:
        if time.perf_counter() > deadline:
            raise RuntimeError(f"{what}: {have} of {target} after 30 min")
        await asyncio.sleep(0.2)


async def bench(dsn: str, tmp: Path, nodes: int, objects: int) -> None:
    await admin_exec(dsn, 'CREATE DATABASE "template_conf"')
    await migrate.apply_dsn(with_database(dsn, "template_conf"))
    apps: list[web.Application] = []
    runners: list[web.AppRunner] = []
    try:
        for i in range(nodes):
            host = f"127.0.1.{i + 1}"
            port = free_port(host)
            await admin_exec(dsn, f'CREATE DATABASE "node{i}" TEMPLATE "template_conf"')
            settings = replace(
                Settings(),
                url=f"http://{host}:{port}",
                database_url=with_database(dsn, f"node{i}"),
                allow_private_network=True,
                data_dir=tmp / f"node{i}",
            )
            app = create_app(settings)
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            await web.TCPSite(runner, host, port).start()
            apps.append(app)
            runners.append(runner)
        founder = apps[0]
        async with founder[keys.DB].acquire() as conn, conn.transaction():
            member = await member_identity(conn, None, "node")
            _conf, replica = await found(
                conn,
                base_url=founder[keys.SETTINGS].url,
                fields={
                    "name": "cascadia",
                    "title": "Cascadia",
                    "place": "Cascadia",
                    "scope": "bioregion",
                    "membership": "open",
                    "quorum": "majority",
                },
                member=member,
                now=utcnow(),
            )
        replica_url = actor_url(founder[keys.SETTINGS].url, replica)
        start = time.perf_counter()
        for app in apps[1:]:
            remote = app[keys.REMOTE]
            doc = await remote.fetch_actor(replica_url)
            history = await fetch_history(remote, doc["decisions"])
            async with app[keys.DB].acquire() as conn, conn.transaction():
                await ask_to_join(
                    conn,
                    base_url=app[keys.SETTINGS].url,
                    remote=remote,
                    replica_doc=doc,
                    history=history,
                    member=await member_identity(conn, None, "node"),
                    now=utcnow(),
                )
        await _wait(
            apps, "SELECT count(*) FROM confederation_members", nodes * nodes, "members"
        )
        await _wait(
            apps,
            "SELECT count(*) FROM following WHERE state = 'accepted'",
            nodes * (nodes - 1),
            "mesh",
        )
        formed = time.perf_counter() - start
        print(f"confederation: {nodes} nodes joined and meshed in {formed:.1f} s")

        groups = [
            await create_actor(app[keys.DB], kind="group", name="river_keepers")
            for app in apps
        ]
        before = await _delivered(apps)
        start = time.perf_counter()

        async def publish(app: web.Application, group: Any) -> None:
            for n in range(objects):
                await movement.create_object(
                    app[keys.DB],
                    base_url=app[keys.SETTINGS].url,
                    actor=group,
                    kind="vision",
                    data=VISION | {"title": f"Vision {n}"},
                    now=utcnow(),
                )

        await asyncio.gather(
            *(publish(a, g) for a, g in zip(apps, groups, strict=True))
        )
        published = time.perf_counter() - start
        total = nodes * objects
        await _wait(
            apps,
            """SELECT count(*) FROM confederation_announced n JOIN local_actors a
                 ON a.id = n.replica_actor_id WHERE a.kind = 'confederation'""",
            nodes * total,
            "announces",
        )
        elapsed = time.perf_counter() - start
        # let the last deliveries be counted (announces can precede their acknowledgement)
        await _wait(apps, "SELECT -count(*) FROM deliveries", 0, "queue drained")
        delivered = await _delivered(apps) - before
        print(
            f"publishing: {total} objects ({objects} per node) stored in {published:.1f} s"
        )
        print(
            f"aggregation: every replica announced every object in {elapsed:.1f} s: "
            f"{nodes * total / elapsed:.0f} announces/s"
        )
        print(
            f"mesh cost: {delivered:.0f} HTTP deliveries, {delivered / total:.1f} per object "
            f"(2 x (members - 1) = {2 * (nodes - 1)} expected from each node's two Announces)"
        )
    finally:
        for runner in runners:
            await runner.cleanup()


async def main() -> None:
    nodes = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    objects = int(sys.argv[2]) if len(sys.argv) > 2 else 50
    configure_logging(json=True, level=os.environ.get("BENCH_LOG", "error"))
    with tempfile.TemporaryDirectory() as tmp:
        pgdata = Path(tmp) / "pgdata"
        with running(pgdata) as dsn:  # room for every node's pool and listeners
            await admin_exec(dsn, "ALTER SYSTEM SET max_connections = 600")
        with running(pgdata) as dsn:
            await bench(dsn, Path(tmp), nodes, objects)


if __name__ == "__main__":
    asyncio.run(main())
