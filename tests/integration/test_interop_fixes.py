"""Incompatibilities real peers showed (issue 17), fixed here: NodeInfo 2.0 beside 2.1
(Takahē reads only 2.0), hashtag links on our host, terms a strict JSON-LD reader (Fedify)
needs defined in our contexts."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pyld import jsonld
from pyld.documentloader.frozen import FrozenDocumentLoader

from federation.jsonld import bundled
from node.runtime import appkeys
from node.services.actors import create_actor
from node.storage import tokens
from tests.integration.test_movement import CALL

pytestmark = [pytest.mark.db, pytest.mark.integration]
AS = "https://www.w3.org/ns/activitystreams#"


@pytest.fixture
async def node(make_client: Any) -> Any:
    client = await make_client()
    pool = client.app[appkeys.DB]
    group = await create_actor(pool, kind="group", name="tenants")
    for cluster in ("housing", "transport"):
        await create_actor(pool, kind="cluster", name=cluster)
    _id, client.token = await tokens.create(pool, local_actor_id=group.id, label="t")
    return client


async def test_nodeinfo_is_served_in_schema_2_0_too(node: Any) -> None:
    index = await (await node.get("/.well-known/nodeinfo")).json()
    rels = {link["rel"] for link in index["links"]}
    assert "http://nodeinfo.diaspora.software/ns/schema/2.0" in rels
    assert "http://nodeinfo.diaspora.software/ns/schema/2.1" in rels
    doc = await (await node.get("/nodeinfo/2.0")).json()
    assert doc["version"] == "2.0"
    assert "repository" not in doc["software"]  # not in the 2.0 schema
    assert doc["protocols"] == ["activitypub"]


async def test_a_hashtag_link_on_our_host_leads_to_the_cluster(node: Any) -> None:
    resp = await node.get("/tags/housing", allow_redirects=False)
    assert resp.status == 302
    assert resp.headers["Location"] == "http://localhost:8080/actors/housing"
    missing = await node.get("/tags/nothing", headers={"Accept": "application/json"})
    assert missing.status == 404


def _expand(document: dict[str, Any]) -> list[Any]:
    """JSON-LD expansion in safe mode with the bundled contexts only (as Fedify reads)."""
    options = {
        "documentLoader": FrozenDocumentLoader(documents=bundled()),
        "safe": True,
    }
    expanded: list[Any] = jsonld.expand(document, options)
    return expanded


async def test_a_call_expands_with_its_hashtags_typed(node: Any) -> None:
    resp = await node.post(
        "/api/v1/calls", json=CALL, headers={"Authorization": f"Bearer {node.token}"}
    )
    assert resp.status == 201, await resp.text()
    obj = (await resp.json())["object"]
    (expanded,) = _expand(obj)
    tags = expanded[AS + "tag"]
    assert {t["@type"][0] for t in tags} == {AS + "Hashtag"}
    assert len(tags) == 2


def test_the_actor_context_defines_assertion_method() -> None:
    """The multikey context (which pyld does not bundle; Fedify does) defines no
    assertionMethod: ours does, inline, with the security vocabulary's IRI."""
    from federation.vocab.actors import ASSERTION_TERMS

    term = ASSERTION_TERMS["assertionMethod"]
    assert term["@id"] == "https://w3id.org/security#assertionMethod"
    assert term["@type"] == "@id"


async def test_an_actor_with_a_proof_key_carries_the_term(node: Any, peer: Any) -> None:
    url = "http://localhost:8080/actors/tenants"
    doc = await (
        await node.get("/actors/tenants", headers=peer.sign_get("alice", url))
    ).json()
    assert doc["assertionMethod"][0]["id"] == f"{url}#ed25519-key"
    defined = [c for c in doc["@context"] if isinstance(c, dict)]
    assert any("assertionMethod" in c for c in defined)


async def test_a_handle_on_an_https_peer_is_found_with_allow_private_network(
    make_client: Any, tmp_path: Any
) -> None:
    """WebFinger tries https first (http only when https cannot connect at all), so an
    https peer on a local test federation is reachable too (it used to be asked over http)."""
    import ssl

    from aiohttp import web

    from tests.conftest import free_port, run_cli
    from tests.peer import Peer
    from tests.tls import tls_files

    ca_file, chain = tls_files(tmp_path)
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(chain)
    port = free_port("127.0.0.1")
    secure = Peer(f"https://127.0.0.1:{port}")
    secure.add("carol")
    runner = web.AppRunner(secure.app())
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port, ssl_context=tls).start()
    try:
        node = await make_client(allow_private_network=True)
        code, out, err = await run_cli(
            node.app[appkeys.SETTINGS],
            "actor",
            "lookup",
            f"carol@127.0.0.1:{port}",
            private=True,
            env={
                "SSL_CERT_FILE": str(ca_file)
            },  # the peer's CA, as a local federation's
        )
        assert code == 0, err
        assert json.loads(out)["id"] == f"https://127.0.0.1:{port}/users/carol"
    finally:
        await runner.cleanup()
