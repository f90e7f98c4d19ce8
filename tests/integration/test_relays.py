"""Relays that lie: what a relay brings is read again from its origin, a relay we do not
subscribe to cannot speak for anyone, and a relay's answer counts only for our own Follow.
(activityrelay itself, as a real peer: tests/interop/test_activityrelay.py.)"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest

from tests.conftest import serve_peer, until
from tests.integration.nodes import Node, Nodes
from tests.peer import Peer

pytestmark = [pytest.mark.db, pytest.mark.integration]
RELAY_HOST = "127.0.0.11"

CALL = {
    "title": "Rent strike assembly",
    "body": "Bring your neighbours.",
    "urgency": "high",
    "asks": ["turnout"],
    "startTime": (datetime.now(UTC) + timedelta(days=3))
    .replace(microsecond=0)
    .isoformat(),
    "timezone": "UTC",
    "location": {"name": "Union hall"},
}


async def _post(peer: Peer, name: str, node: Node, activity: dict[str, Any]) -> int:
    body = json.dumps(activity).encode()
    url = f"{node.url}/inbox"
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, data=body, headers=peer.sign_post(name, url, body)) as resp,
    ):
        return resp.status


async def _relays(node: Node) -> list[list[str]]:
    return [line.split("\t") for line in (await node.ok("relay", "list")).splitlines()]


async def _subscribed(node: Node, relay: Peer) -> None:
    """`node` subscribes to the peer's actor `relay` (LitePub) and the peer accepts."""
    actor = relay.actor_id("relay")
    assert "LitePub" in await node.ok("relay", "add", actor)
    await until(lambda: relay.activities("Follow"), timeout=30, what="our Follow")
    follow = relay.activities("Follow")[-1]
    assert follow["actor"] == f"{node.url}/actor"
    assert follow["object"] == actor
    accept = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{relay.base}/activities/accept-{len(relay.received)}",
        "type": "Accept",
        "actor": actor,
        "object": {"id": follow["id"], "type": "Follow"},
    }
    assert await _post(relay, "relay", node, accept) == 202

    async def accepted() -> bool:
        return (await _relays(node))[0][1] == "accepted"

    await until(accepted, timeout=30, what="the subscription accepted")


async def _stored(node: Node, object_id: str) -> Any:
    return await node.db.fetchrow(
        "SELECT body, fields, via_relay FROM remote_objects WHERE id = $1", object_id
    )


async def test_a_relayed_copy_is_never_trusted_the_origin_is_read(
    nodes: Nodes, aiohttp_server: Any
) -> None:
    origin, reader = (
        await nodes.start("origin", "127.0.0.5"),
        await nodes.start("reader", "127.0.0.6"),
    )
    relay = await serve_peer(aiohttp_server, RELAY_HOST, "relay")
    await origin.group("tenants")
    await _subscribed(reader, relay)
    call = await origin.publish("tenants", "calls", CALL)
    forged = {**call, "content": "<p>Cancelled. Stay home.</p>", "name": "Cancelled"}
    create = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{call['id']}/activity",
        "type": "Create",
        "actor": call["attributedTo"],
        "object": forged,
    }
    # a Mastodon-style relay forwards the author's activity, signed by the relay
    assert await _post(relay, "relay", reader, create) == 202
    await until(
        lambda: _stored(reader, call["id"]), timeout=30, what="the relayed call"
    )
    row = await _stored(reader, call["id"])
    body = json.loads(row["body"]) if isinstance(row["body"], str) else row["body"]
    assert body["content"] == call["content"]  # the origin's, not the relay's
    assert "Cancelled" not in json.dumps(body)
    assert row["via_relay"] == relay.actor_id("relay")
    # the same activity from its author later is not a duplicate of the relay's copy
    assert (
        await reader.db.fetchval(
            "SELECT count(*) FROM inbox WHERE activity_id = $1", create["id"]
        )
        == 0
    )


async def test_a_relay_we_do_not_subscribe_to_cannot_speak_for_anyone(
    nodes: Nodes, aiohttp_server: Any
) -> None:
    origin, reader = (
        await nodes.start("origin", "127.0.0.5"),
        await nodes.start("reader", "127.0.0.6"),
    )
    stranger = await serve_peer(aiohttp_server, RELAY_HOST, "relay")
    await origin.group("tenants")
    call = await origin.publish("tenants", "calls", CALL)
    create = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{call['id']}/activity",
        "type": "Create",
        "actor": call["attributedTo"],
        "object": call,
    }
    body = json.dumps(create).encode()
    url = f"{reader.url}/inbox"
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            url, data=body, headers=stranger.sign_post("relay", url, body)
        ) as resp,
    ):
        assert resp.status == 401
        assert (await resp.json())["error"] == "signer_actor_mismatch"
    assert await reader.db.fetchval("SELECT count(*) FROM inbox") == 0


async def test_an_accept_from_someone_else_settles_no_subscription(
    nodes: Nodes, aiohttp_server: Any
) -> None:
    reader = await nodes.start("reader", "127.0.0.6")
    relay = await serve_peer(aiohttp_server, RELAY_HOST, "relay")
    impostor = await serve_peer(aiohttp_server, "127.0.0.12", "mallory")
    await reader.ok("relay", "add", relay.actor_id("relay"))
    await until(lambda: relay.activities("Follow"), timeout=30, what="our Follow")
    follow = relay.activities("Follow")[-1]
    accept = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{impostor.base}/activities/accept",
        "type": "Accept",
        "actor": impostor.actor_id("mallory"),
        "object": {"id": follow["id"], "type": "Follow"},
    }
    assert await _post(impostor, "mallory", reader, accept) == 202

    async def processed() -> bool:
        return bool(
            await reader.db.fetchval(
                "SELECT count(*) FROM inbox WHERE processed_at IS NOT NULL"
            )
        )

    await until(processed, timeout=30, what="the Accept processed")
    assert (await _relays(reader))[0][1] == "pending"
    # and a public object of ours does not go to a relay that has not accepted
    await reader.group("tenants")
    await reader.publish("tenants", "calls", CALL)
    assert (
        await reader.db.fetchval(
            "SELECT count(*) FROM deliveries WHERE inbox LIKE $1", f"{relay.base}%"
        )
        == 0
    )
