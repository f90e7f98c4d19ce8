"""Two nodes on loopback: A resolves a group on B by handle with a signed fetch, B verifies A."""

import asyncio
import json
import os
from dataclasses import dataclass
from typing import Any

import pytest
import structlog
from aiohttp import web

from node.runtime import appkeys
from node.runtime.app import create_app
from node.services.actors import create_actor
from node.storage import actors as store
from tests.conftest import free_port, run_cli

pytestmark = [pytest.mark.db, pytest.mark.integration]


@dataclass
class RunningNode:
    app: web.Application
    url: str
    dsn: str


@pytest.fixture
async def two_nodes(
    pg_dsn: str, aiohttp_server: Any, settings_for: Any, tmp_path: Any
) -> Any:
    from node.storage.db import with_database
    from tests.conftest import TEMPLATE, admin_exec

    made = []
    nodes = []
    try:
        for host in ("127.0.0.2", "127.0.0.3"):
            name = f"n_{host.replace('.', '_')}_{os.getpid()}_{free_port()}"
            await admin_exec(pg_dsn, f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}"')
            made.append(name)
            port = free_port(host)
            url = f"http://{host}:{port}"
            dsn = with_database(pg_dsn, name)
            app = create_app(settings_for(dsn, url=url, data_dir=tmp_path / host))
            await aiohttp_server(app, host=host, port=port)
            nodes.append(RunningNode(app, url, dsn))
        yield nodes
    finally:
        for server_app in nodes:
            await server_app.app.shutdown()
        for name in made:
            await admin_exec(pg_dsn, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _cli(node: RunningNode, *args: str) -> tuple[int, str, str]:
    return await run_cli(node.app[appkeys.SETTINGS], *args, private=True)


async def test_a_resolves_group_on_b_by_handle_and_b_verifies_a(
    two_nodes: list[RunningNode],
) -> None:
    a, b = two_nodes
    await create_actor(
        b.app[appkeys.DB],
        kind="group",
        name="housing",
        display_name="Housing Justice",
        summary="Homes for all",
    )
    b_host = b.url.split("://", 1)[1]
    with structlog.testing.capture_logs(
        processors=[structlog.contextvars.merge_contextvars]
    ) as logs:
        code, out, err = await _cli(a, "actor", "lookup", f"housing@{b_host}")
    assert code == 0, err
    actor = json.loads(out)
    assert actor["id"] == f"{b.url}/actors/housing"
    # B served the full document: it verified A's signature (unsigned fetches get only key fields)
    assert actor["name"] == "Housing Justice"
    signed = [
        e
        for e in logs
        if e["event"] == "request" and e.get("path") == "/actors/housing"
    ]
    assert signed
    assert signed[-1]["status"] == 200
    assert signed[-1].get("signer") == f"{a.url}/actor"
    # A cached the actor and its key; B cached A's instance actor and key
    assert (
        await store.remote_actor(a.app[appkeys.DB], f"{b.url}/actors/housing")
        is not None
    )
    assert (
        await store.remote_key(a.app[appkeys.DB], f"{b.url}/actors/housing#main-key")
        is not None
    )
    assert (await store.remote_key(b.app[appkeys.DB], f"{a.url}/actor#main-key")) == (
        f"{a.url}/actor",
        (await store.local_by_name(a.app[appkeys.DB], "actor")).public_key_pem,  # type: ignore[union-attr]
    )


async def test_lookup_of_unknown_handle_fails_cleanly(
    two_nodes: list[RunningNode],
) -> None:
    a, b = two_nodes
    code, _out, err = await _cli(
        a, "actor", "lookup", f"nobody@{b.url.split('://', 1)[1]}"
    )
    assert code == 1
    assert "lookup failed" in err
    assert "Traceback" not in err


async def test_group_on_a_follows_group_on_b_and_b_accepts(
    two_nodes: list[RunningNode],
) -> None:
    a, b = two_nodes
    await create_actor(a.app[appkeys.DB], kind="group", name="tenants")
    await create_actor(b.app[appkeys.DB], kind="group", name="housing")
    code, out, err = await _cli(
        a, "follow", "tenants", f"housing@{b.url.split('://', 1)[1]}"
    )
    assert code == 0, err
    assert "pending" in out
    tenants = await store.local_by_name(a.app[appkeys.DB], "tenants")
    assert tenants is not None
    state = None
    for _ in range(200):
        state = await a.app[appkeys.DB].fetchval(
            "SELECT state FROM following WHERE local_actor_id = $1", tenants.id
        )
        if state == "accepted":
            break
        await asyncio.sleep(0.05)
    assert state == "accepted"
    housing = await store.local_by_name(b.app[appkeys.DB], "housing")
    assert housing is not None
    assert (
        await b.app[appkeys.DB].fetchval(
            "SELECT state FROM followers WHERE local_actor_id = $1 AND follower = $2",
            housing.id,
            f"{a.url}/actors/tenants",
        )
        == "accepted"
    )
    following = await (await _get(a, "/actors/tenants/following?page=1")).json()
    assert following["orderedItems"] == [f"{b.url}/actors/housing"]


async def _get(node: RunningNode, path: str) -> Any:
    import aiohttp

    async with (
        aiohttp.ClientSession() as session,
        session.get(
            node.url + path, headers={"Accept": "application/activity+json"}
        ) as resp,
    ):
        body = await resp.read()

    class _Resp:
        async def json(self) -> Any:
            return json.loads(body)

    return _Resp()


async def test_a_call_on_b_reaches_a_follower_on_a_with_every_field_intact(
    two_nodes: list[RunningNode],
) -> None:
    """B publishes through its API; A (following B's group) stores the call with its typed
    fields after normalization and validation; Update and Delete follow it there."""
    import aiohttp

    from node.storage import tokens
    from tests.conftest import db_value
    from tests.integration.test_movement import CALL

    a, b = two_nodes
    await create_actor(a.app[appkeys.DB], kind="group", name="tenants")
    housing = await create_actor(b.app[appkeys.DB], kind="group", name="housing")
    for cluster in ("housing_c", "transport"):
        await create_actor(b.app[appkeys.DB], kind="cluster", name=cluster)
    code, _out, err = await _cli(
        a, "follow", "tenants", f"housing@{b.url.split('://', 1)[1]}"
    )
    assert code == 0, err
    accepted = await db_value(
        a.app[appkeys.DB], "SELECT state FROM following", "accepted", timeout=15
    )
    assert accepted == "accepted"
    _id, token = await tokens.create(
        b.app[appkeys.DB], local_actor_id=housing.id, label="t"
    )
    call = CALL | {"clusters": ["housing_c", "transport"]}
    auth = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{b.url}/api/v1/calls", json=call, headers=auth) as r:
            assert r.status == 201, await r.text()
            object_id = (await r.json())["id"]
        pool = a.app[appkeys.DB]
        sql = f"SELECT fields FROM remote_objects WHERE id = '{object_id}'"
        assert await db_value(pool, sql, call, timeout=15) == call
        row = await pool.fetchrow(
            "SELECT kind, clusters, public, type FROM remote_objects WHERE id = $1",
            object_id,
        )
        assert row is not None
        assert dict(row) == {
            "kind": "call",
            "clusters": ["housing_c", "transport"],
            "public": True,
            "type": "Event",
        }
        listed = await (await _get(a, "/api/v1/objects?kind=call")).json()
        assert [i["id"] for i in listed["items"]] == [object_id]
        assert listed["items"][0]["local"] is False

        uid = object_id.rsplit("/", 1)[1]
        changed = call | {"urgency": "critical"}
        async with session.put(
            f"{b.url}/api/v1/calls/{uid}", json=changed, headers=auth
        ) as r:
            assert r.status == 200, await r.text()
        assert await db_value(pool, sql, changed, timeout=15) == changed
        async with session.delete(f"{b.url}/api/v1/calls/{uid}", headers=auth) as r:
            assert r.status == 204
        gone = f"SELECT deleted_at IS NOT NULL FROM remote_objects WHERE id = '{object_id}'"
        assert await db_value(pool, gone, True, timeout=15) is True


async def test_a_followers_only_offer_from_b_is_visible_on_a_only_to_its_follower(
    two_nodes: list[RunningNode],
) -> None:
    import aiohttp

    from node.storage import tokens
    from tests.conftest import db_value
    from tests.integration.test_movement import OFFER

    a, b = two_nodes
    tenants = await create_actor(a.app[appkeys.DB], kind="group", name="tenants")
    other = await create_actor(a.app[appkeys.DB], kind="group", name="cyclists")
    legal = await create_actor(b.app[appkeys.DB], kind="group", name="legal")
    code, _out, err = await _cli(
        a, "follow", "tenants", f"legal@{b.url.split('://', 1)[1]}"
    )
    assert code == 0, err
    await db_value(
        a.app[appkeys.DB], "SELECT state FROM following", "accepted", timeout=15
    )
    _id, b_token = await tokens.create(
        b.app[appkeys.DB], local_actor_id=legal.id, label="t"
    )
    _id, follower_token = await tokens.create(
        a.app[appkeys.DB], local_actor_id=tenants.id, label="t"
    )
    _id, stranger_token = await tokens.create(
        a.app[appkeys.DB], local_actor_id=other.id, label="t"
    )
    async with aiohttp.ClientSession() as session:
        async with session.post(
            f"{b.url}/api/v1/offers",
            json=OFFER | {"audience": "followers"},
            headers={"Authorization": f"Bearer {b_token}"},
        ) as r:
            assert r.status == 201, await r.text()
            object_id = (await r.json())["id"]
        stored = f"SELECT public FROM remote_objects WHERE id = '{object_id}'"
        assert await db_value(a.app[appkeys.DB], stored, False, timeout=15) is False

        async def look(token: str | None) -> int:
            headers = {} if token is None else {"Authorization": f"Bearer {token}"}
            async with session.get(
                f"{a.url}/api/v1/object", params={"id": object_id}, headers=headers
            ) as r:
                if r.status == 200:
                    assert (await r.json())["fields"]["capability"] == "legal"
                return r.status

        assert await look(follower_token) == 200
        assert await look(None) == 404
        assert await look(stranger_token) == 404
        listed = await (await _get(a, "/api/v1/objects")).json()
        assert listed["items"] == [], "followers-only objects are never listed"


async def _signed_get_status(url: str, key_id: str, private_pem: str) -> int:
    """GET `url` signed (cavage) with a given key; the HTTP status."""
    from datetime import UTC, datetime

    import aiohttp

    from federation.sig import cavage
    from federation.sig.keys import load_private
    from federation.types import HttpRequest

    request = HttpRequest.build("GET", url, {"accept": "application/activity+json"})
    headers = cavage.sign(
        request,
        key_id=key_id,
        private_key=load_private(private_pem),
        now=datetime.now(UTC),
    )
    async with (
        aiohttp.ClientSession() as session,
        session.get(url, headers={**request.headers, **headers}) as resp,
    ):
        return resp.status


async def _publish_offer(a: RunningNode, b: RunningNode, token: str) -> None:
    """A publishes an offer through its API; B (a follower) verifies and stores it."""
    import aiohttp

    from tests.conftest import db_value
    from tests.integration.test_movement import OFFER

    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{a.url}/api/v1/offers",
            json=OFFER,
            headers={"Authorization": f"Bearer {token}"},
        ) as r,
    ):
        assert r.status == 201, await r.text()
        object_id = (await r.json())["id"]
    stored = f"SELECT count(*) FROM remote_objects WHERE id = '{object_id}'"
    assert await db_value(b.app[appkeys.DB], stored, 1, timeout=15) == 1


async def test_key_rotation_b_keeps_verifying_a_and_a_leaked_key_stops(
    two_nodes: list[RunningNode],
) -> None:
    from node.storage import tokens
    from tests.conftest import db_value

    a, b = two_nodes
    tenants = await create_actor(a.app[appkeys.DB], kind="group", name="tenants")
    await create_actor(b.app[appkeys.DB], kind="group", name="watchers")
    handle = f"tenants@{a.url.split('://', 1)[1]}"
    code, _out, err = await _cli(b, "follow", "watchers", handle)
    assert code == 0, err
    await db_value(
        b.app[appkeys.DB], "SELECT state FROM following", "accepted", timeout=15
    )
    _id, token = await tokens.create(
        a.app[appkeys.DB], local_actor_id=tenants.id, label="t"
    )
    await _publish_offer(a, b, token)  # A's worker now holds the first key in its cache
    me = f"{a.url}/actors/tenants"
    b_keys = f"SELECT array_agg(key_id ORDER BY key_id) FROM remote_keys WHERE owner = '{me}'"
    assert await b.app[appkeys.DB].fetchval(b_keys) == [f"{me}#main-key"]
    private_sql = "SELECT private_key_pem FROM local_actors WHERE name = 'tenants'"
    leaked = await a.app[appkeys.DB].fetchval(private_sql)

    # the first key leaks: rotate with no grace
    code, out, err = await _cli(a, "keys", "rotate", "tenants", "--grace", "0")
    assert code == 0, err
    assert f"new key {me}#key-2" in out
    assert f"old key {me}#main-key no longer verifies" in out
    assert "Update of the actor queued for 1 inbox" in out
    # B took the Update (signed with the new key), re-read the actor and dropped the old key
    only_new = [f"{me}#key-2"]
    assert await db_value(b.app[appkeys.DB], b_keys, only_new, timeout=15) == only_new
    # A's delivery worker dropped its cached key: what it sends now verifies at B
    await _publish_offer(a, b, token)
    watchers = f"{b.url}/actors/watchers"
    assert await _signed_get_status(watchers, f"{me}#main-key", leaked) == 401

    # a routine rotation: requests signed with the previous key just before it still
    # verify during the grace period, even where that key was not cached
    previous = await a.app[appkeys.DB].fetchval(private_sql)
    code, out, err = await _cli(a, "keys", "rotate", "tenants")
    assert code == 0, err
    assert f"old key {me}#key-2 verifies until" in out
    both = [f"{me}#key-2", f"{me}#key-3"]
    assert await db_value(b.app[appkeys.DB], b_keys, both, timeout=15) == both
    await b.app[appkeys.DB].execute("DELETE FROM remote_keys WHERE owner = $1", me)
    assert await _signed_get_status(watchers, f"{me}#key-2", previous) == 200
    assert await _signed_get_status(watchers, f"{me}#main-key", leaked) == 401
    await _publish_offer(a, b, token)
    listed = await (await _get(a, "/actors/tenants")).json()
    assert [k["id"] for k in listed["publicKey"]] == [f"{me}#key-3", f"{me}#key-2"]
