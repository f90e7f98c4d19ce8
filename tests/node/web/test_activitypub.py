"""Actor documents over real HTTP: content negotiation, authorized fetch, key handling."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from federation.sig.keys import generate_rsa
from node.runtime import appkeys
from node.services.actors import create_actor
from node.storage import actors as store
from tests.peer import Peer

pytestmark = pytest.mark.db
AP = "application/activity+json"


@pytest.fixture
async def node(make_client: Any) -> Any:
    client = await make_client()
    await create_actor(
        client.app[appkeys.DB],
        kind="group",
        name="housing",
        display_name="Housing Justice",
        summary="Homes for all",
    )
    return client


def _url(client: Any, path: str) -> str:
    return str(client.app[appkeys.SETTINGS].url) + path


async def test_unknown_actor_is_404(node: Any) -> None:
    resp = await node.get("/actors/nobody", headers={"Accept": AP})
    assert resp.status == 404
    assert (await resp.json())["error"]


async def test_browser_gets_a_page_with_alternate_link(node: Any) -> None:
    resp = await node.get(
        "/actors/housing", headers={"Accept": "text/html,application/xhtml+xml"}
    )
    assert resp.status == 200
    assert resp.content_type == "text/html"
    text = await resp.text()
    assert "Housing Justice" in text
    assert 'rel="alternate" type="application/activity+json" href="' in text


async def test_unsigned_get_under_authorized_fetch_gets_only_key_fields(
    node: Any,
) -> None:
    resp = await node.get("/actors/housing", headers={"Accept": AP})
    assert resp.status == 200
    assert resp.content_type == AP
    doc = await resp.json()
    assert doc["publicKey"]["owner"] == doc["id"] == _url(node, "/actors/housing")
    assert "BEGIN PUBLIC KEY" in doc["publicKey"]["publicKeyPem"]
    assert "name" not in doc
    assert "summary" not in doc


async def test_ld_json_with_profile_is_served_too(node: Any) -> None:
    accept = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
    resp = await node.get("/actors/housing", headers={"Accept": accept})
    assert resp.status == 200
    assert (await resp.json())["type"] == "Group"


async def test_authorized_fetch_off_serves_full_document_unsigned(
    make_client: Any,
) -> None:
    client = await make_client(authorized_fetch=False)
    await create_actor(
        client.app[appkeys.DB],
        kind="group",
        name="transit",
        display_name="Transit Riders",
    )
    doc = await (await client.get("/actors/transit", headers={"Accept": AP})).json()
    assert doc["name"] == "Transit Riders"


@pytest.mark.parametrize("scheme", ["cavage", "rfc9421"])
async def test_signed_get_gets_full_document_with_everything_mastodon_reads(
    node: Any, peer: Peer, scheme: str
) -> None:
    url = _url(node, "/actors/housing")
    resp = await node.get(
        "/actors/housing", headers=peer.sign_get("alice", url, scheme=scheme)
    )
    assert resp.status == 200, await resp.text()
    doc = await resp.json()
    for field in (
        "id",
        "type",
        "preferredUsername",
        "name",
        "summary",
        "url",
        "inbox",
        "outbox",
        "followers",
        "following",
        "endpoints",
        "publicKey",
        "manuallyApprovesFollowers",
        "discoverable",
        "published",
    ):
        assert field in doc, field
    assert doc["type"] == "Group"
    assert doc["preferredUsername"] == "housing"
    assert doc["endpoints"]["sharedInbox"] == _url(node, "/inbox")
    assert "PRIVATE" not in str(doc)
    cached = await store.remote_key(node.app[appkeys.DB], peer.key_id("alice"))
    assert cached is not None
    assert cached[0] == peer.actor_id("alice")


async def test_signature_with_the_wrong_key_is_401(node: Any, peer: Peer) -> None:
    url = _url(node, "/actors/housing")
    resp = await node.get(
        "/actors/housing", headers=peer.sign_get("alice", url, key=generate_rsa())
    )
    assert resp.status == 401


async def test_stale_date_is_401(node: Any, peer: Peer) -> None:
    url = _url(node, "/actors/housing")
    resp = await node.get(
        "/actors/housing",
        headers=peer.sign_get("alice", url, now=datetime.now(UTC) - timedelta(hours=2)),
    )
    assert resp.status == 401
    refused = await resp.json()
    assert refused["error"] == "date_out_of_window"
    assert "window" in refused["message"]


async def test_key_owned_by_another_actor_is_401(node: Any, peer: Peer) -> None:
    peer.add("mallory", key_owner=peer.actor_id("alice"))
    url = _url(node, "/actors/housing")
    resp = await node.get("/actors/housing", headers=peer.sign_get("mallory", url))
    assert resp.status == 401
    assert await store.remote_key(node.app[appkeys.DB], peer.key_id("mallory")) is None


async def test_rotated_key_is_refetched_once_and_accepted(
    node: Any, peer: Peer
) -> None:
    url = _url(node, "/actors/housing")
    assert (
        await node.get("/actors/housing", headers=peer.sign_get("alice", url))
    ).status == 200
    fetches_before = len(peer.fetches)
    peer.actors["alice"].key = generate_rsa()  # the peer rotates its key
    resp = await node.get("/actors/housing", headers=peer.sign_get("alice", url))
    assert resp.status == 200
    assert len(peer.fetches) == fetches_before + 1
    assert (
        await node.get("/actors/housing", headers=peer.sign_get("alice", url))
    ).status == 200
    assert len(peer.fetches) == fetches_before + 1, "the refreshed key is cached"


async def test_instance_actor_is_open_and_an_application(node: Any) -> None:
    resp = await node.get("/actor", headers={"Accept": AP})
    doc = await resp.json()
    assert doc["type"] == "Application"
    assert doc["id"] == _url(node, "/actor")
    assert doc["publicKey"]["id"] == _url(node, "/actor#main-key")


async def test_garbled_signature_is_401_signature_malformed(node: Any) -> None:
    """Anything about who sent a request is a 401 (FEDERATION.md, error codes)."""
    resp = await node.get(
        "/actors/housing",
        headers={"Accept": AP, "Signature": "this is not a signature"},
    )
    assert resp.status == 401
    assert (await resp.json())["error"] == "signature_malformed"
