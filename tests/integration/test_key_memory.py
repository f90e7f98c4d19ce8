"""Remote keys held in memory: a cached key costs no query, and a key its actor no longer
lists stops verifying at once — when this process reads the actor again, and when another
process does (PostgreSQL's NOTIFY remote_keys)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from federation.sig.keys import generate_rsa, public_pem
from node.runtime import appkeys
from node.services.actors import create_actor
from tests.peer import Peer

pytestmark = [pytest.mark.db, pytest.mark.integration]


@pytest.fixture
async def node(make_client: Any) -> Any:
    client = await make_client()
    await create_actor(client.app[appkeys.DB], kind="group", name="tenants")
    return client


def _base(node: Any) -> str:
    return str(node.app[appkeys.SETTINGS].url)


async def _like(node: Any, peer: Peer, key: Any = None) -> int:
    activity = {
        "id": f"{peer.actor_id('alice')}#likes/{uuid.uuid4()}",
        "type": "Like",
        "actor": peer.actor_id("alice"),
        "object": f"{_base(node)}/actors/tenants",
    }
    body = json.dumps(activity).encode()
    resp = await node.post(
        "/inbox",
        data=body,
        headers=peer.sign_post("alice", _base(node) + "/inbox", body, key=key),
    )
    return int(resp.status)


async def _rotate_at_the_peer(peer: Peer) -> None:
    """alice's server replaces her key (same id, new key): the old one is no longer hers."""
    peer.actors["alice"].key = generate_rsa()


async def test_a_held_key_costs_no_query_and_goes_when_its_actor_is_read_again(
    node: Any, peer: Peer
) -> None:
    assert await _like(node, peer) == 202
    fetches = len(peer.fetches)
    remote = node.app[appkeys.REMOTE]
    assert peer.key_id("alice") in remote._keys  # held after it verified
    # a held key: no fetch, no row read (the row may even be gone)
    await node.app[appkeys.DB].execute("DELETE FROM remote_keys")
    assert await _like(node, peer) == 202
    assert len(peer.fetches) == fetches

    old_key = peer.actors["alice"].key
    await _rotate_at_the_peer(peer)
    # the actor read again (as an Update of her profile makes the worker do)
    await remote.fetch_actor(peer.actor_id("alice"))
    assert peer.key_id("alice") not in remote._keys
    assert await _like(node, peer, key=old_key) == 401  # still signed with the old key
    assert await _like(node, peer) == 202


async def test_another_process_changing_the_keys_drops_the_held_ones(
    node: Any, peer: Peer
) -> None:
    from tests.conftest import until

    assert await _like(node, peer) == 202
    remote = node.app[appkeys.REMOTE]
    old_key = peer.actors["alice"].key
    await _rotate_at_the_peer(peer)
    new_pem = public_pem(peer.actors["alice"].key.public_key())
    # what another process's upsert does: the row changes and it NOTIFYs
    pool = node.app[appkeys.DB]
    await pool.execute(
        "UPDATE remote_keys SET public_key_pem = $1 WHERE key_id = $2",
        new_pem,
        peer.key_id("alice"),
    )
    await pool.execute("SELECT pg_notify('remote_keys', $1)", peer.actor_id("alice"))
    await until(
        lambda: peer.key_id("alice") not in remote._keys, what="the held key dropped"
    )
    assert await _like(node, peer, key=old_key) == 401
