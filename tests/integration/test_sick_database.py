"""A sick database: the node talks to PostgreSQL through a real TCP proxy on loopback that
we freeze (it keeps every connection open and passes no byte: a half-open database) or
cut. A request then gets 503 with Retry-After within seconds — never a 500, never a hang —
and nothing is half-stored."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from aiohttp import web

from node.runtime import appkeys
from node.runtime.app import create_app
from node.services.actors import create_actor
from tests.integration.dbproxy import FreezableProxy, through

pytestmark = [pytest.mark.db, pytest.mark.integration]


@pytest.fixture
async def sick(db_dsn: str, settings_for: Any, aiohttp_client: Any) -> Any:
    parts = urlsplit(db_dsn)
    socket_dir = parse_qs(parts.query)["host"][0]
    proxy = FreezableProxy(f"{socket_dir}/.s.PGSQL.{parts.port or 5432}")
    await proxy.start()
    settings = replace(settings_for(through(proxy, db_dsn)), worker_processes=0)
    client = await aiohttp_client(create_app(settings, role="web"))
    await create_actor(client.app[appkeys.DB], kind="group", name="tenants")
    client.proxy = proxy
    yield client
    proxy.frozen.clear()
    await proxy.stop()


async def _timed(coro: Any) -> tuple[Any, float]:
    started = time.monotonic()
    resp = await asyncio.wait_for(coro, timeout=30)
    return resp, time.monotonic() - started


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/actors/tenants"), ("GET", "/api/v1/objects"), ("POST", "/api/v1/calls")],
)
async def test_a_frozen_database_is_a_503_within_seconds(
    sick: Any, method: str, path: str
) -> None:
    assert (await sick.get("/healthz")).status == 200
    sick.proxy.frozen.set()
    headers = {"Accept": "application/activity+json", "Authorization": "Bearer x"}
    body = json.dumps({"title": "x"}) if method == "POST" else None
    resp, took = await _timed(
        sick.request(
            method,
            path,
            data=body,
            headers=headers | ({"Content-Type": "application/json"} if body else {}),
        )
    )
    assert resp.status == 503, await resp.text()
    assert resp.headers["Retry-After"] == "5"
    assert (await resp.json())["error"] == "unavailable"
    # at most two command timeouts (the query's, then asyncpg's cancel of it): 8 s
    assert took < 10, f"answered after {took:.1f} s"
    health, took = await _timed(sick.get("/healthz"))
    assert health.status == 503
    assert took < 5


async def test_the_node_recovers_when_the_database_thaws(sick: Any) -> None:
    sick.proxy.frozen.set()
    resp, _took = await _timed(
        sick.get("/actors/tenants", headers={"Accept": "application/activity+json"})
    )
    assert resp.status == 503
    sick.proxy.frozen.clear()
    deadline = time.monotonic() + 20
    while True:
        resp = await sick.get(
            "/actors/tenants", headers={"Accept": "application/activity+json"}
        )
        if resp.status == 200 or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.5)
    assert resp.status == 200


async def test_a_web_handler_error_that_is_not_the_database_stays_a_500(
    aiohttp_client: Any, settings_for: Any, db_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only "database unavailable" becomes 503; a bug is still a 500 (and logged)."""
    from node.web import pages

    async def broken(_request: web.Request) -> web.Response:
        raise KeyError("bug")

    monkeypatch.setattr(pages, "home", broken)
    client = await aiohttp_client(create_app(settings_for(db_dsn), role="web"))
    resp = await client.get("/", headers={"Accept": "application/json"})
    assert resp.status == 500


async def test_a_read_only_database_is_unhealthy_and_writes_are_503_not_500(
    make_client: Any, pg_dsn: str, db_dsn: str, peer: Any
) -> None:
    """The database answers but cannot write (as a full disk, a standby or a read-only
    switch leaves it): /healthz says so, and a publish or an inbox POST is a 503 with
    Retry-After, nothing stored."""
    from node.storage import tokens
    from tests.conftest import admin_exec
    from tests.integration.test_movement import CALL

    node = await make_client()
    pool = node.app[appkeys.DB]
    group = await create_actor(pool, kind="group", name="tenants")
    _id, secret = await tokens.create(pool, local_actor_id=group.id, label="t")
    name = urlsplit(db_dsn).path.lstrip("/")
    await admin_exec(
        pg_dsn, f'ALTER DATABASE "{name}" SET default_transaction_read_only = on'
    )
    await pool.expire_connections()  # new connections start read-only
    try:
        health = await node.get("/healthz")
        assert health.status == 503
        assert await health.json() == {"status": "degraded", "database": "read_only"}
        resp = await node.post(
            "/api/v1/calls",
            json=CALL,
            headers={"Authorization": f"Bearer {secret}"},
        )
        assert resp.status == 503, await resp.text()
        assert resp.headers["Retry-After"] == "5"
        assert (await resp.json())["error"] == "unavailable"
        follow = {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{peer.actor_id('alice')}#follows/ro",
            "type": "Follow",
            "actor": peer.actor_id("alice"),
            "object": f"{node.app[appkeys.SETTINGS].url}/actors/tenants",
        }
        body = json.dumps(follow).encode()
        url = f"{node.app[appkeys.SETTINGS].url}/actors/tenants/inbox"
        resp = await node.post(
            "/actors/tenants/inbox",
            data=body,
            headers=peer.sign_post("alice", url, body),
        )
        assert resp.status == 503, await resp.text()
    finally:
        await admin_exec(
            pg_dsn, f'ALTER DATABASE "{name}" RESET default_transaction_read_only'
        )
        await pool.expire_connections()
    assert (await node.get("/healthz")).status == 200
    assert await pool.fetchval("SELECT count(*) FROM objects") == 0
    assert await pool.fetchval("SELECT count(*) FROM inbox") == 0


async def test_a_request_that_finds_every_pooled_connection_busy_is_a_503_not_a_wait(
    make_client: Any,
) -> None:
    """Waiting for a pooled connection is bounded too (all held, or all reconnecting after
    an outage): a 503 after ACQUIRE_TIMEOUT, never a request that waits without end."""
    from node.runtime.app import POOL_SIZE
    from node.storage.db import ACQUIRE_TIMEOUT

    node = await make_client()
    pool = node.app[appkeys.DB]
    await create_actor(pool, kind="group", name="tenants")
    held = [await pool.acquire() for _ in range(POOL_SIZE)]
    try:
        resp, took = await _timed(
            node.get("/actors/tenants", headers={"Accept": "application/activity+json"})
        )
        assert resp.status == 503
        assert (await resp.json())["error"] == "unavailable"
        assert took < ACQUIRE_TIMEOUT + 3
    finally:
        for conn in held:
            await pool.release(conn)
    ok = await node.get(
        "/actors/tenants", headers={"Accept": "application/activity+json"}
    )
    assert ok.status == 200
