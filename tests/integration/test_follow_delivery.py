"""Follows, the inbox and the delivery queue end to end, with a real signed peer on loopback."""

import asyncio
import io
import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from federation.sig.keys import load_public
from federation.sig.verify import verify_request
from federation.types import HttpRequest
from node.runtime import appkeys
from node.services.actors import create_actor
from node.storage import actors as store
from tests.conftest import db_value, run_cli, until
from tests.peer import Peer

pytestmark = [pytest.mark.db, pytest.mark.integration]
AP = "application/activity+json"


@pytest.fixture
async def node(make_client: Any) -> Any:
    client = await make_client()
    await create_actor(
        client.app[appkeys.DB],
        kind="group",
        name="housing",
        display_name="Housing Justice",
    )
    return client


def _base(node: Any) -> str:
    return str(node.app[appkeys.SETTINGS].url)


async def _send(
    node: Any,
    peer: Peer,
    activity: dict[str, Any],
    *,
    as_: str = "alice",
    path: str = "/actors/housing/inbox",
) -> Any:
    body = json.dumps(activity).encode()
    headers = peer.sign_post(as_, _base(node) + path, body)
    return await node.post(path, data=body, headers=headers)


def _follow(node: Any, peer: Peer, name: str = "alice") -> dict[str, Any]:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{peer.actor_id(name)}#follows/{uuid.uuid4()}",
        "type": "Follow",
        "actor": peer.actor_id(name),
        "object": f"{_base(node)}/actors/housing",
    }


async def _verify_from_node(
    node: Any, peer: Peer, index: int, signer: str = "housing"
) -> None:
    """The peer checks our signature the way a real server would: key from our actor, body digest."""
    path, headers, body = peer.received[index]
    actor = await store.local_by_name(node.app[appkeys.DB], signer)
    assert actor is not None
    request = HttpRequest.build("POST", peer.base + path, headers, body)
    verdict = verify_request(
        request, load_public(actor.public_key_pem), now=datetime.now(UTC)
    )
    assert verdict.key_id == f"{_base(node)}/actors/{signer}#main-key"
    assert "digest" in verdict.covered


async def _post_via_cli(node: Any, text: str) -> str:
    code, out, err = await run_cli(node.app[appkeys.SETTINGS], "post", "housing", text)
    assert code == 0, err
    return out.strip()


async def _follow_accepted(node: Any, peer: Peer) -> dict[str, Any]:
    follow = _follow(node, peer)
    resp = await _send(node, peer, follow)
    assert resp.status == 202, await resp.text()
    await until(lambda: len(peer.activities("Accept")) == 1)
    return follow


async def test_follow_gets_a_signed_accept_and_posts_arrive_signed(
    node: Any, peer: Peer
) -> None:
    follow = await _follow_accepted(node, peer)
    accept = peer.activities("Accept")[0]
    assert accept["actor"] == f"{_base(node)}/actors/housing"
    assert accept["object"]["id"] == follow["id"]
    await _verify_from_node(node, peer, 0)

    note_id = await _post_via_cli(
        node, "Rent strike meeting on Thursday.\n\nBring neighbours."
    )
    await until(lambda: len(peer.activities("Create")) == 1)
    create = peer.activities("Create")[0]
    assert create["object"]["id"] == note_id
    assert (
        create["object"]["content"]
        == "<p>Rent strike meeting on Thursday.</p><p>Bring neighbours.</p>"
    )
    assert peer.received[-1][0] == "/inbox", "delivered to the shared inbox"
    await _verify_from_node(node, peer, len(peer.received) - 1)
    followers = await (
        await node.get("/actors/housing/followers", headers={"Accept": AP})
    ).json()
    assert followers["totalItems"] == 1
    assert "orderedItems" not in followers, "follower lists are not harvestable"
    assert "first" not in followers


async def test_duplicate_activity_is_accepted_and_processed_once(
    node: Any, peer: Peer
) -> None:
    follow = _follow(node, peer)
    assert (await _send(node, peer, follow)).status == 202
    assert (await _send(node, peer, follow)).status == 202
    await until(lambda: len(peer.activities("Accept")) >= 1)
    await asyncio.sleep(0.5)
    assert len(peer.activities("Accept")) == 1
    assert await node.app[appkeys.DB].fetchval("SELECT count(*) FROM inbox") == 1


async def test_undo_follow_stops_delivery(node: Any, peer: Peer) -> None:
    follow = await _follow_accepted(node, peer)
    undo = {
        "id": f"{peer.actor_id('alice')}#undo/{uuid.uuid4()}",
        "type": "Undo",
        "actor": peer.actor_id("alice"),
        "object": follow,
    }
    assert (await _send(node, peer, undo)).status == 202
    pool = node.app[appkeys.DB]
    assert await db_value(pool, "SELECT count(*) FROM followers", 0) == 0
    await _post_via_cli(node, "Nobody should get this.")
    assert await pool.fetchval("SELECT count(*) FROM deliveries") == 0
    await asyncio.sleep(0.3)
    assert peer.activities("Create") == []


async def test_spoofed_actor_is_401_and_nothing_is_stored(
    node: Any, peer: Peer
) -> None:
    peer.add("mallory")
    spoof = _follow(node, peer, "alice")
    resp = await _send(node, peer, spoof, as_="mallory")
    assert resp.status == 401
    refused = await resp.json()
    assert refused["error"] == "signer_actor_mismatch"
    assert "not by the activity's actor" in refused["message"]
    assert await node.app[appkeys.DB].fetchval("SELECT count(*) FROM inbox") == 0


async def test_tampered_body_is_401_and_nothing_is_stored(
    node: Any, peer: Peer
) -> None:
    follow = _follow(node, peer)
    body = json.dumps(follow).encode()
    headers = peer.sign_post("alice", _base(node) + "/actors/housing/inbox", body)
    resp = await node.post(
        "/actors/housing/inbox", data=body.replace(b"Follow", b"Block"), headers=headers
    )
    assert resp.status == 401
    assert await node.app[appkeys.DB].fetchval("SELECT count(*) FROM inbox") == 0


async def test_wrong_content_type_and_garbage_are_refused(
    node: Any, peer: Peer
) -> None:
    resp = await node.post(
        "/actors/housing/inbox", data=b"{}", headers={"Content-Type": "text/plain"}
    )
    assert resp.status == 415
    body = b"not json"
    headers = peer.sign_post("alice", _base(node) + "/actors/housing/inbox", body)
    assert (
        await node.post("/actors/housing/inbox", data=body, headers=headers)
    ).status == 400
    assert await node.app[appkeys.DB].fetchval("SELECT count(*) FROM inbox") == 0


async def test_blocked_domain_is_403_and_nothing_is_stored(
    node: Any, peer: Peer
) -> None:
    await node.app[appkeys.DB].execute(
        "INSERT INTO domain_blocks (host) VALUES ($1)",
        peer.base.split("://")[1].split(":")[0],  # stored as a domain: no port
    )
    resp = await _send(node, peer, _follow(node, peer))
    assert resp.status == 403
    assert await node.app[appkeys.DB].fetchval("SELECT count(*) FROM inbox") == 0


async def test_peer_failing_with_500_gets_the_delivery_on_retry(
    node: Any, peer: Peer
) -> None:
    await _follow_accepted(node, peer)
    pool = node.app[appkeys.DB]
    peer.inbox_statuses = [500]
    row = None
    await _post_via_cli(node, "Retry me.")
    await until(lambda: len(peer.activities("Create")) == 1)  # the failed attempt
    for _ in range(100):
        row = await pool.fetchrow(
            "SELECT attempts, last_status, next_attempt_at > now() AS later FROM deliveries"
        )
        if row is not None and row["last_status"] == 500:
            break
        await asyncio.sleep(0.05)
    assert row is not None
    assert row["attempts"] == 1
    assert row["later"], "rescheduled with backoff"
    await pool.execute("UPDATE deliveries SET next_attempt_at = now()")  # time passes
    node.app[appkeys.DELIVERY_WORKER].notify()
    await until(lambda: len(peer.activities("Create")) == 2)
    assert await db_value(pool, "SELECT count(*) FROM deliveries", 0) == 0


async def test_410_gone_removes_the_follower(node: Any, peer: Peer) -> None:
    await _follow_accepted(node, peer)
    pool = node.app[appkeys.DB]
    peer.inbox_statuses = [410]
    await _post_via_cli(node, "Anyone there?")
    await until(lambda: len(peer.activities("Create")) == 1)
    assert await db_value(pool, "SELECT count(*) FROM followers", 0) == 0
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM dead_deliveries WHERE reason = '410 Gone'"
        )
        == 1
    )


async def test_given_up_delivery_is_listed_and_retried_from_the_cli(
    node: Any, peer: Peer
) -> None:
    await _follow_accepted(node, peer)
    pool = node.app[appkeys.DB]
    peer.inbox_statuses = [404]
    await _post_via_cli(node, "Lost and found.")
    assert await db_value(pool, "SELECT count(*) FROM dead_deliveries", 1) == 1
    assert await pool.fetchval("SELECT reason FROM dead_deliveries") == "HTTP 404"
    settings = node.app[appkeys.SETTINGS]
    _code, out, _err = await run_cli(settings, "deliveries", "dead")
    assert "HTTP 404" in out
    _code, out, _err = await run_cli(settings, "deliveries", "retry")
    assert out.startswith("1 ")
    node.app[appkeys.DELIVERY_WORKER].notify()
    await until(lambda: len(peer.activities("Create")) == 2)


async def test_domain_block_from_the_cli_drops_followers_and_refuses(
    node: Any, peer: Peer
) -> None:
    await _follow_accepted(node, peer)
    host = peer.base.split("://")[1]
    policy = node.app[appkeys.DOMAIN_POLICY]
    assert policy.cached  # read for the follow, kept
    code, out, _err = await run_cli(node.app[appkeys.SETTINGS], "domain", "block", host)
    assert code == 0
    assert "1 follower(s) removed" in out
    # the block, made by another process, reached this one
    await until(lambda: not policy.cached)
    pool = node.app[appkeys.DB]
    assert await pool.fetchval("SELECT count(*) FROM followers") == 0
    assert (await _send(node, peer, _follow(node, peer))).status == 403


async def test_allowlist_mode_refuses_unlisted_hosts_and_delivers_to_listed(
    make_client: Any, peer: Peer
) -> None:
    client = await make_client(federation_mode="allowlist")
    await create_actor(client.app[appkeys.DB], kind="group", name="housing")
    assert (await _send(client, peer, _follow(client, peer))).status == 403
    policy = client.app[appkeys.DOMAIN_POLICY]
    assert policy.cached  # the lists were read for the refusal, and are kept
    from node.storage import domains as domain_store

    # stored as a domain (no port); the change notifies every process
    await domain_store.allow(
        client.app[appkeys.DB], peer.base.split("://")[1].split(":")[0]
    )
    await until(lambda: not policy.cached)  # this process heard it
    assert (await _send(client, peer, _follow(client, peer))).status == 202
    await until(lambda: len(peer.activities("Accept")) == 1)


async def test_oversize_inbox_body_is_413_and_nothing_is_stored(
    node: Any, peer: Peer
) -> None:
    body = json.dumps({**_follow(node, peer), "padding": "x" * (1024 * 1024)}).encode()
    headers = peer.sign_post("alice", _base(node) + "/actors/housing/inbox", body)
    resp = await node.post(
        "/actors/housing/inbox", data=io.BytesIO(body), headers=headers
    )
    assert resp.status == 413
    assert "error" in await resp.json()
    assert await node.app[appkeys.DB].fetchval("SELECT count(*) FROM inbox") == 0


async def test_mentioned_actor_receives_the_post_with_a_mention_tag(
    node: Any, peer: Peer
) -> None:
    handle = f"alice@{peer.base.split('://')[1]}"
    code, _out, err = await run_cli(
        node.app[appkeys.SETTINGS],
        "post",
        "housing",
        f"Thanks @{handle} for the venue!",
        private=True,
    )
    assert code == 0, err
    await until(lambda: len(peer.activities("Create")) == 1)
    note = peer.activities("Create")[0]["object"]
    assert note["tag"] == [
        {"type": "Mention", "href": peer.actor_id("alice"), "name": f"@{handle}"}
    ]
    assert peer.actor_id("alice") in note["cc"]
    assert (
        f'<a href="{peer.actor_id("alice")}" class="u-url mention">@alice</a>'
        in note["content"]
    )
