"""Faults on the delivery side, injected into a running node over real HTTP on loopback:
a host that hangs, a host that fails, a process clock that is off, a database that
goes away while "delivered" rows wait to be deleted. What is asserted is the guarantee:
healthy hosts do not wait for sick ones, nothing is lost, nothing is sent twice beyond
what was in flight, and the breaker opens once and lets one probe through."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp import web

from federation.delivery.breaker import OPEN_AFTER
from federation.delivery.pgqueue import WORKER_LOCK_CLASS
from node.runtime import appkeys
from node.runtime.app import create_app
from node.services.actors import create_actor
from tests.conftest import run_cli, until
from tests.integration.dbproxy import start_proxy

pytestmark = [pytest.mark.db, pytest.mark.integration]
PER_HOST = 4  # the delivery worker's default cap of deliveries in flight per host


class Hosts:
    """Many remote hosts (one aiohttp server each, on its own port) that answer, hang or
    fail on command, recording what arrived and how many requests each held at once."""

    def __init__(self) -> None:
        self.arrived: Counter[str] = Counter()
        self.bodies: Counter[tuple[str, str]] = Counter()  # (host, activity id)
        self.open: Counter[str] = Counter()
        self.most_open: Counter[str] = Counter()
        self.release = asyncio.Event()  # hanging hosts answer once this is set
        self.behaviour: dict[str, str] = {}  # host -> "ok" | "hang" | "fail"
        self.runners: list[web.AppRunner] = []

    async def add(self, server_factory: Any, behaviour: str) -> str:
        async def inbox(request: web.Request) -> web.Response:
            host = request.host
            body = await request.json()
            self.open[host] += 1
            self.most_open[host] = max(self.most_open[host], self.open[host])
            try:
                match self.behaviour[host]:
                    case "hang":
                        await self.release.wait()
                    case "fail":
                        return web.Response(status=503)
                self.arrived[host] += 1
                self.bodies[host, body["id"]] += 1
                return web.Response(status=202)
            finally:
                self.open[host] -= 1

        app = web.Application()
        app.router.add_post("/users/{n}/inbox", inbox)
        server = await server_factory(app, host="127.0.0.3")
        host = f"127.0.0.3:{server.port}"
        self.behaviour[host] = behaviour
        return host


@pytest.fixture
async def hosts() -> AsyncIterator[Hosts]:
    hs = Hosts()
    yield hs
    hs.release.set()


async def _followers(pool: Any, group_id: int, host: str, count: int) -> None:
    await pool.executemany(
        "INSERT INTO followers (local_actor_id, follower, state, inbox) "
        "VALUES ($1, $2, 'accepted', $3)",
        [
            (group_id, f"http://{host}/users/u{i}", f"http://{host}/users/u{i}/inbox")
            for i in range(count)
        ],
    )


async def _equal(got: Any, expected: Any) -> bool:
    return bool(await got == expected)


async def _post(node: Any, text: str) -> None:
    code, _out, err = await run_cli(node.app[appkeys.SETTINGS], "post", "housing", text)
    assert code == 0, err


async def test_a_hanging_host_holds_at_most_its_cap_and_the_healthy_hosts_do_not_wait(
    make_client: Any, aiohttp_server: Any, hosts: Hosts
) -> None:
    node = await make_client()
    pool = node.app[appkeys.DB]
    group = await create_actor(pool, kind="group", name="housing")
    healthy = [await hosts.add(aiohttp_server, "ok") for _ in range(20)]
    hung = await hosts.add(aiohttp_server, "hang")
    # personal inboxes (no shared inbox): 20 per healthy host, 150 on the hanging one,
    # queued first so that a claim that is not host-aware fills its window with them
    await _followers(pool, group.id, hung, 150)
    for host in healthy:
        await _followers(pool, group.id, host, 20)
    await _post(node, "Assembly at the square tonight.")
    # every healthy delivery arrives while the hanging host still holds its first
    # requests (it answers only when released, long after the 10 s request deadline)
    await until(lambda: sum(hosts.arrived[h] for h in healthy) == 400, timeout=9.0)
    assert hosts.arrived[hung] == 0
    assert 1 <= hosts.most_open[hung] <= PER_HOST  # never more in flight than its cap
    assert max(hosts.most_open[h] for h in healthy) <= PER_HOST

    # nothing lost: every row for the hanging host is still queued (the delivered ones
    # are deleted in batches, a moment after they arrive)
    async def left() -> list[tuple[str, int]]:
        rows = await pool.fetch(
            "SELECT host, count(*) AS n FROM deliveries GROUP BY host"
        )
        return [(r["host"], r["n"]) for r in rows]

    await until(lambda: _equal(left(), [(hung, 150)]), timeout=5.0)
    assert await pool.fetchval("SELECT count(*) FROM dead_deliveries") == 0


async def test_a_failing_host_opens_its_breaker_once_and_the_operator_can_force_a_retry(
    make_client: Any, aiohttp_server: Any, hosts: Hosts
) -> None:
    node = await make_client()
    pool = node.app[appkeys.DB]
    settings = node.app[appkeys.SETTINGS]
    group = await create_actor(pool, kind="group", name="housing")
    sick = await hosts.add(aiohttp_server, "fail")
    await _followers(pool, group.id, sick, 200)
    await _post(node, "Everyone to the town hall.")
    await until(
        lambda: pool.fetchval(
            "SELECT open_until > now() FROM host_breakers WHERE host = $1", sick
        ),
        timeout=20.0,
    )
    await until(  # the in-flight ones come back
        lambda: pool.fetchval(
            "SELECT count(*) = 0 FROM deliveries WHERE host = $1 AND lease_until > now()",
            sick,
        ),
        timeout=20.0,
    )
    tried = await pool.fetchval(
        "SELECT count(*) FROM deliveries WHERE host = $1 AND attempts > 0", sick
    )
    # the threshold, plus at most what was in flight when it opened
    assert OPEN_AFTER <= tried <= OPEN_AFTER + PER_HOST - 1
    row = await pool.fetchrow("SELECT * FROM host_breakers WHERE host = $1", sick)
    assert row["openings"] == 1  # opened once: the in-flight failures did not reopen it
    assert row["open_until"] - await pool.fetchval("SELECT now()") <= timedelta(
        minutes=5
    )
    code, out, _err = await run_cli(settings, "deliveries", "hosts")
    assert code == 0
    assert sick in out
    assert "open until" in out
    assert "200 waiting" in out
    # the host recovers; the operator does not wait out the cooldown
    hosts.behaviour[sick] = "ok"
    code, out, err = await run_cli(settings, "deliveries", "retry", "--host", sick)
    assert code == 0, err
    assert "breaker closed" in out
    await until(lambda: hosts.arrived[sick] == 200, timeout=20.0)
    assert await pool.fetchval("SELECT count(*) FROM host_breakers") == 0
    code, out, _err = await run_cli(settings, "deliveries", "hosts")
    assert "every host is healthy" in out


async def test_a_half_open_breaker_lets_one_probe_through_and_a_good_one_closes_it(
    make_client: Any, aiohttp_server: Any, hosts: Hosts
) -> None:
    node = await make_client()
    pool = node.app[appkeys.DB]
    group = await create_actor(pool, kind="group", name="housing")
    host = await hosts.add(aiohttp_server, "hang")
    await _followers(pool, group.id, host, 30)
    # the breaker's cooldown has just ended: half-open
    await pool.execute(
        "INSERT INTO host_breakers (host, failures, openings, open_until) "
        "VALUES ($1, 0, 2, now() - interval '1 second')",
        host,
    )
    await _post(node, "Probe me.")
    await until(lambda: hosts.open[host] == 1, timeout=10.0)
    await asyncio.sleep(0.5)  # other claims happen meanwhile (the worker is not idle)
    assert hosts.most_open[host] == 1  # one probe, not the cap
    hosts.release.set()  # the probe succeeds: closed, and the rest go out
    await until(lambda: hosts.arrived[host] == 30, timeout=20.0)
    assert await pool.fetchval("SELECT count(*) FROM host_breakers") == 0


async def test_retry_times_are_on_the_databases_clock_not_the_process_clock(
    db_dsn: str,
    settings_for: Any,
    aiohttp_client: Any,
    aiohttp_server: Any,
    hosts: Hosts,
) -> None:
    """With the process clock two hours behind, a failed delivery is due again after its
    backoff (at least 30 s), not at once: retried 4 times in 25 s per inbox before."""
    behind = timedelta(hours=2)
    node = await aiohttp_client(
        create_app(settings_for(db_dsn), clock=lambda: datetime.now(UTC) - behind)
    )
    pool = node.app[appkeys.DB]
    group = await create_actor(pool, kind="group", name="housing")
    host = await hosts.add(aiohttp_server, "fail")
    await _followers(pool, group.id, host, 3)
    await _post(node, "Is anyone there?")
    await until(
        lambda: pool.fetchval(
            "SELECT count(*) = 3 FROM deliveries WHERE attempts = 1 AND lease_until IS NULL"
        ),
        timeout=15.0,
    )
    rows = await pool.fetch(
        "SELECT next_attempt_at - now() AS wait, attempts FROM deliveries"
    )
    assert all(
        timedelta(seconds=25) <= r["wait"] <= timedelta(seconds=61) for r in rows
    )
    await asyncio.sleep(2)
    assert await pool.fetchval("SELECT max(attempts) FROM deliveries") == 1


async def test_a_database_outage_mid_fan_out_loses_nothing_and_resends_nothing(
    db_dsn: str, settings_for: Any, aiohttp_client: Any, aiohttp_server: Any
) -> None:
    """PostgreSQL goes away while 300 deliveries are going out: the ones that arrive
    meanwhile are kept as delivered until the database is back (then deleted, not sent
    again when their lease runs out)."""
    proxy, dsn = await start_proxy(db_dsn)
    try:
        node = await aiohttp_client(
            create_app(replace(settings_for(dsn), worker_processes=0))
        )
        pool = node.app[appkeys.DB]
        group = await create_actor(pool, kind="group", name="housing")
        arrived: Counter[str] = Counter()

        async def inbox(request: web.Request) -> web.Response:
            await asyncio.sleep(0.2)
            arrived[request.host + request.path] += 1
            return web.Response(status=202)

        receiver = web.Application()
        receiver.router.add_post("/users/{n}/inbox", inbox)
        servers = [await aiohttp_server(receiver, host="127.0.0.3") for _ in range(60)]
        for server in servers:
            await _followers(pool, group.id, f"127.0.0.3:{server.port}", 5)
        await _post(node, "Blockade at dawn.")
        await until(lambda: sum(arrived.values()) >= 60, timeout=20.0)
        proxy.cut()  # mid fan-out: the deliveries in flight arrive meanwhile
        await asyncio.sleep(3)  # their deletes fail
        proxy.restore()
        await until(lambda: len(arrived) == 300, timeout=60.0, what="all delivered")
        # delivered rows are deleted (a dropped delete would leave a leased row, to be
        # sent again when its lease runs out)
        await until(
            lambda: pool.fetchval("SELECT count(*) = 0 FROM deliveries"), timeout=30.0
        )
        resent = sum(n - 1 for n in arrived.values())
        assert resent == 0, f"{resent} sent twice"
        # the worker listens again, holding its liveness lock on the new connection
        await until(
            lambda: pool.fetchval(
                "SELECT count(*) = 1 FROM pg_locks WHERE locktype = 'advisory' "
                "AND classid = $1 AND granted",
                WORKER_LOCK_CLASS,
            ),
            timeout=30.0,
        )
        assert await pool.fetchval("SELECT count(*) FROM dead_deliveries") == 0
    finally:
        proxy.restore()
        await proxy.stop()
