"""/metrics after real traffic: requests by route, inbox results, delivery outcomes, the
queue, breakers and the pool; off unless configured; and no client IP address in logs."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from dataclasses import replace
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families

from node.config import Settings
from node.runtime import appkeys
from node.runtime.app import POOL_SIZE
from node.services.actors import create_actor
from node.storage import tokens
from tests.conftest import free_port, node_env, run_cli, until
from tests.integration.test_backup import add_unreachable_follower
from tests.integration.test_movement import CALL, _follow, _publish
from tests.peer import Peer

pytestmark = [pytest.mark.db, pytest.mark.integration]
TOKEN = "metrics-token-for-tests-0123456789"
FOLLOWERS = 300
HOSTS = 100


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Parsed exposition: (sample name, labels) -> value."""
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(found: dict[Any, float], name: str, **labels: str) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


async def test_metrics_show_real_traffic(make_client: Any, peer: Peer) -> None:
    node = await make_client(metrics_token=TOKEN)
    pool = node.app[appkeys.DB]
    await create_actor(pool, kind="group", name="tenants")
    for cluster in ("housing", "transport"):
        await create_actor(pool, kind="cluster", name=cluster)
    await _follow(node, peer, "alice", "tenants")  # inbox accepted, Accept delivered
    forged = json.dumps({"type": "Follow", "actor": peer.actor_id("alice")}).encode()
    resp = await node.post(
        "/actors/tenants/inbox",
        data=forged,
        headers={"Content-Type": "application/activity+json"},
    )
    assert resp.status == 401  # unsigned
    await add_unreachable_follower(pool, "tenants")
    row = await pool.fetchrow("SELECT id FROM local_actors WHERE name = 'tenants'")
    _id, token = await tokens.create(pool, local_actor_id=row["id"], label="t")
    assert (await _publish(node, token, "calls", CALL)).status == 201

    assert (await node.get("/metrics")).status == 401
    wrong = await node.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status == 401

    async def scrape() -> dict[Any, float]:
        resp = await node.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("text/plain")
        return samples(await resp.text())

    # the failed attempt is counted once the worker has rescheduled it
    retried = ("retried", "connection")
    deadline = asyncio.get_running_loop().time() + 15
    found = await scrape()
    while not value(
        found, "movement_deliveries_total", outcome=retried[0], answer=retried[1]
    ):
        assert asyncio.get_running_loop().time() < deadline, (
            "no retried delivery counted"
        )
        await asyncio.sleep(0.1)
        found = await scrape()

    inbox_route = "/actors/{name}/inbox"
    assert (
        value(found, "movement_inbox_activities_total", result="accepted", reason="")
        >= 1
    )
    assert (
        value(
            found,
            "movement_inbox_activities_total",
            result="rejected",
            reason="request_not_signed",
        )
        >= 1
    )
    assert (
        value(
            found,
            "movement_http_requests_total",
            route=inbox_route,
            method="POST",
            status="202",
        )
        >= 1
    )
    assert (
        value(found, "movement_http_request_duration_seconds_count", route=inbox_route)
        >= 2
    )
    assert (
        value(found, "movement_deliveries_total", outcome="delivered", answer="2xx")
        >= 2
    )
    assert (
        value(
            found, "movement_deliveries_total", outcome="retried", answer="connection"
        )
        >= 1
    )
    assert value(found, "movement_delivery_queue_depth") >= 1
    assert value(found, "movement_delivery_oldest_pending_seconds") > 0
    assert ("movement_circuit_breakers", frozenset({("state", "open")})) in found
    assert value(found, "movement_db_pool_connections", state="max") == POOL_SIZE
    assert not any("127.0.0" in str(labels) for (_name, labels) in found), (
        "no host or address in any label"
    )


async def test_given_up_inbox_activities_count_as_failed_not_pending(
    make_client: Any, peer: Peer
) -> None:
    node = await make_client(metrics_token=TOKEN)
    pool = node.app[appkeys.DB]
    await create_actor(pool, kind="group", name="tenants")
    alice = peer.actor_id("alice")
    move = {"id": f"{alice}#move", "type": "Move", "actor": alice, "object": alice}
    body = json.dumps({**move, "target": peer.actor_id("nobody")}).encode()
    url = f"{node.app[appkeys.SETTINGS].url}/inbox"
    resp = await node.post(
        "/inbox", data=body, headers=peer.sign_post("alice", url, body)
    )
    assert resp.status == 202
    await until(lambda: pool.fetchval("SELECT attempts FROM inbox"), what="a failure")
    await pool.execute("UPDATE inbox SET attempts = 5")  # as after the last retry

    resp = await node.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    found = samples(await resp.text())
    assert value(found, "movement_inbox_failed") == 1
    assert value(found, "movement_inbox_pending") == 0


async def test_metrics_are_off_unless_configured(make_client: Any) -> None:
    node = await make_client()
    resp = await node.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert resp.status == 404


async def test_metrics_port_serves_any_role_on_loopback(make_client: Any) -> None:
    port = free_port()
    node = await make_client(metrics_port=port)
    assert (await node.get("/healthz")).status == 200
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{port}/metrics") as resp,
    ):
        assert resp.status == 200
        found = samples(await resp.text())
    assert (
        value(
            found,
            "movement_http_requests_total",
            route="/healthz",
            method="GET",
            status="200",
        )
        == 1
    )
    assert (await node.get("/metrics")).status == 404, "not on the public port"


async def test_no_client_address_in_logs(
    make_client: Any, log_capture: list[Any]
) -> None:
    node = await make_client()
    resp = await node.get("/healthz", headers={"X-Forwarded-For": "203.0.113.7"})
    assert resp.status == 200
    requests = [e for e in log_capture if e["event"] == "request"]
    assert requests
    logged = json.dumps(log_capture, default=str)
    assert "127.0.0.1" not in logged
    assert "203.0.113.7" not in logged


async def test_the_token_endpoint_counts_the_deliveries_of_serves_worker_process(
    db: Any, db_dsn: str, aiohttp_server: Any
) -> None:
    """With a worker process of its own, `serve` serves and the worker delivers (every
    delivery is counted by the worker), at a lower CPU priority (worker_nice)."""
    received: list[str] = []

    async def inbox(request: web.Request) -> web.Response:
        received.append(request.path)
        await asyncio.sleep(0.2)
        return web.Response(status=202)

    receiver = web.Application()
    receiver.router.add_post("/users/{n}/inbox", inbox)
    # followers on many hosts, each answering in 0.2 s
    rservers = [await aiohttp_server(receiver, host="127.0.0.3") for _ in range(HOSTS)]
    group = await create_actor(db, kind="group", name="housing")
    await db.executemany(
        "INSERT INTO followers (local_actor_id, follower, state, inbox) VALUES ($1, $2, 'accepted', $3)",
        [
            (
                group.id,
                str(rservers[i % HOSTS].make_url(f"/users/u{i}")),
                str(rservers[i % HOSTS].make_url(f"/users/u{i}/inbox")),
            )
            for i in range(FOLLOWERS)
        ],
    )
    port = free_port()
    env = node_env(
        db_dsn,
        MOVEMENT_NODE_URL=f"http://127.0.0.1:{port}",
        MOVEMENT_NODE_PORT=str(port),
        MOVEMENT_NODE_ALLOW_PRIVATE_NETWORK="true",
        MOVEMENT_NODE_LOG_FORMAT="json",
        MOVEMENT_NODE_WORKER_PROCESSES="1",
        MOVEMENT_NODE_METRICS_TOKEN=TOKEN,
    )
    serve = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "node", "serve", env=env, stderr=asyncio.subprocess.PIPE
    )
    events: list[dict[str, Any]] = []

    async def read_log() -> None:
        assert serve.stderr is not None
        async for line in serve.stderr:
            if line.startswith(b"{"):
                events.append(json.loads(line))

    reading = asyncio.create_task(read_log())

    async def scrape(url: str, **headers: str) -> dict[Any, float] | None:
        try:
            async with aiohttp.ClientSession() as s, s.get(url, headers=headers) as r:
                return samples(await r.text()) if r.status == 200 else None
        except aiohttp.ClientError:
            return None

    def worker_port() -> int | None:
        started = [e for e in events if e["event"] == "worker_process_started"]
        return started[0]["metrics_port"] if started else None

    token = {"Authorization": f"Bearer {TOKEN}"}
    try:
        await until(worker_port, timeout=30, what="a worker process")
        worker_pid = next(
            e["pid"] for e in events if e["event"] == "worker_process_started"
        )
        await until(
            lambda: os.getpriority(os.PRIO_PROCESS, worker_pid) == 10,
            timeout=30,
            what="the worker at nice 10",
        )
        assert os.getpriority(os.PRIO_PROCESS, serve.pid) == 0
        child = f"http://127.0.0.1:{worker_port()}/metrics"
        await until(lambda: scrape(child), timeout=30, what="the worker's metrics")
        await until(
            lambda: scrape(f"http://127.0.0.1:{port}/metrics", **token), timeout=30
        )
        post = await run_cli(
            replace(Settings(), url=f"http://127.0.0.1:{port}", database_url=db_dsn),
            "post",
            "housing",
            "Everyone to the assembly.",
            private=True,
        )
        assert post[0] == 0, post[2]
        await until(
            lambda: len(received) == FOLLOWERS, timeout=30, what="all delivered"
        )
        await until(lambda: db.fetchval("SELECT count(*) = 0 FROM deliveries"))
        by_worker = await scrape(child)
        merged = await scrape(f"http://127.0.0.1:{port}/metrics", **token)
    finally:
        serve.send_signal(signal.SIGTERM)
        await asyncio.wait_for(serve.wait(), timeout=60)
        await reading
    assert serve.returncode == 0
    assert by_worker is not None
    assert merged is not None
    delivered = {"outcome": "delivered", "answer": "2xx"}
    assert value(by_worker, "movement_deliveries_total", **delivered) == FOLLOWERS
    assert value(merged, "movement_deliveries_total", **delivered) == FOLLOWERS


async def test_an_inbox_processor_survives_a_driver_error_and_is_counted(
    make_client: Any, peer: Peer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """asyncpg's InternalClientError (neither OSError nor PostgresError) used to end an
    inbox processor for good; now each failing round is counted and the loop goes on."""
    import asyncpg

    from node.storage import inbox

    real_claim = inbox.claim_pending
    failures = {"left": 4}

    async def flaky_claim(conn: Any, floor: int = 0) -> Any:
        if failures["left"] > 0:
            failures["left"] -= 1
            raise asyncpg.InternalClientError("cannot switch to state 15")
        return await real_claim(conn, floor)

    monkeypatch.setattr(inbox, "claim_pending", flaky_claim)
    node = await make_client(metrics_token=TOKEN)
    pool = node.app[appkeys.DB]
    await create_actor(pool, kind="group", name="tenants")
    await _follow(node, peer, "alice", "tenants")  # processed once the loops recover
    resp = await node.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    found = samples(await resp.text())
    assert failures["left"] == 0
    assert value(found, "movement_background_loop_errors_total", loop="inbox") == 4
    assert value(found, "movement_background_loops_running", loop="inbox") == 4
    assert value(found, "movement_background_loops_running", loop="delivery") == 1


async def test_a_poison_activity_is_failed_and_counted_and_never_stalls_the_rest(
    make_client: Any, peer: Peer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An activity whose handler raises something unforeseen (a TypeError of ours) is
    recorded as a failed attempt with its error and retried later; the activities behind
    it are applied meanwhile."""
    from node.services import inbox as processing

    real_route = processing.route

    async def route(conn: Any, act: Any, ctx: Any) -> None:
        if act.actor == peer.actor_id("mallory"):
            msg = "'NoneType' object is not subscriptable"
            raise TypeError(msg)
        await real_route(conn, act, ctx)

    monkeypatch.setattr(processing, "route", route)
    peer.add("mallory")
    node = await make_client()
    pool = node.app[appkeys.DB]
    await create_actor(pool, kind="group", name="tenants")
    follow = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{peer.actor_id('mallory')}#follows/1",
        "type": "Follow",
        "actor": peer.actor_id("mallory"),
        "object": f"{node.app[appkeys.SETTINGS].url}/actors/tenants",
    }
    body = json.dumps(follow).encode()
    base = node.app[appkeys.SETTINGS].url
    resp = await node.post(
        "/actors/tenants/inbox",
        data=body,
        headers=peer.sign_post("mallory", f"{base}/actors/tenants/inbox", body),
    )
    assert resp.status == 202, await resp.text()
    await _follow(node, peer, "alice", "tenants")  # applied although mallory's is first
    row = await pool.fetchrow(
        "SELECT attempts, retry_at > now() AS later, error FROM inbox WHERE actor = $1",
        peer.actor_id("mallory"),
    )
    assert row["attempts"] == 1
    assert row["later"]
    assert row["error"].startswith("TypeError")
