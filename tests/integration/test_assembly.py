"""A node's assembly — its groups, one vote each — adopts a vision version as the node's
shared vision by signed records folded like a confederation's: a majority of the groups
carries it, each record checks against its group's published key, the vision is pinned on
the home page, and what is not a group's vote changes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from federation import proofs
from federation.errors import SignatureInvalidError
from node.runtime import appkeys
from node.services.actors import create_actor
from node.storage import tokens
from tests.integration.test_movement import VISION

pytestmark = [pytest.mark.db, pytest.mark.integration]


@pytest.fixture
async def node(make_client: Any) -> Any:
    client = await make_client(place="Seattle")
    pool = client.app[appkeys.DB]
    client.tokens = {}
    for name, kind in (
        ("tenants", "group"),
        ("riders", "group"),
        ("climate", "group"),
        ("housing", "cluster"),
    ):
        actor = await create_actor(
            pool, kind=kind, name=name, display_name=name.title()
        )
        _id, client.tokens[name] = await tokens.create(
            pool, local_actor_id=actor.id, label="t"
        )
    return client


def _auth(node: Any, who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {node.tokens[who]}"}


async def test_the_groups_adopt_a_vision_version_by_signed_votes(node: Any) -> None:
    resp = await node.post(
        "/api/v1/visions", json=VISION, headers=_auth(node, "tenants")
    )
    vision = (await resp.json())["id"]
    version = f"{vision}/versions/1"
    resp = await node.post(
        "/api/v1/assembly/proposals",
        json={"version": version},
        headers=_auth(node, "riders"),
    )
    assert resp.status == 201, await resp.text()
    proposal = (await resp.json())["short_id"]
    # a cluster is not in the assembly; a group votes once
    resp = await node.post(
        "/api/v1/assembly/votes",
        json={"proposal": proposal, "choice": "yes"},
        headers=_auth(node, "housing"),
    )
    assert resp.status == 403
    for who in ("riders", "riders"):
        resp = await node.post(
            "/api/v1/assembly/votes",
            json={"proposal": proposal, "choice": "yes"},
            headers=_auth(node, who),
        )
    assert resp.status == 409, "riders voted already"
    shown = await (await node.get("/api/v1/assembly")).json()
    assert shown["adopted"] == [], "1 of 3 is not a majority"
    resp = await node.post(
        "/api/v1/assembly/votes",
        json={"proposal": proposal, "choice": "yes"},
        headers=_auth(node, "climate"),
    )
    assert resp.status == 200
    assert (await resp.json())["adopted"] == [version]

    home = await (await node.get("/", headers={"Accept": "text/html"})).text()
    pinned = home[home.index('class="shared"') :]
    assert "Our vision for Seattle" in pinned
    assert str(VISION["title"]) in pinned
    assert "assembly, its groups," in pinned
    assert "2 of 3 for" in pinned

    # every record checks out against the key its group publishes
    records = (await (await node.get("/assembly/decisions")).json())["orderedItems"]
    assert [r["type"] for r in records] == ["Add", "Accept", "Accept"]
    for record in records:
        name = record["actor"].rsplit("/", 1)[1]
        doc = await (
            await node.get(
                f"/actors/{name}", headers={"Accept": "application/activity+json"}
            )
        ).json(content_type=None)
        key = dict(proofs.assertion_methods(doc))[proofs.proof_key_id(record)]
        proofs.verify(record, proofs.read_multikey(key))
    tampered = records[1] | {"type": "Reject"}
    name = tampered["actor"].rsplit("/", 1)[1]
    doc = await (
        await node.get(
            f"/actors/{name}", headers={"Accept": "application/activity+json"}
        )
    ).json(content_type=None)
    public = proofs.read_multikey(
        dict(proofs.assertion_methods(doc))[proofs.proof_key_id(tampered)]
    )
    with pytest.raises(SignatureInvalidError):
        proofs.verify(tampered, public)


async def test_what_is_no_vision_version_is_no_proposal(node: Any) -> None:
    resp = await node.post(
        "/api/v1/visions", json=VISION, headers=_auth(node, "tenants")
    )
    vision = (await resp.json())["id"]
    for version in (vision, f"{vision}/versions/4", "https://elsewhere.example/x"):
        resp = await node.post(
            "/api/v1/assembly/proposals",
            json={"version": version},
            headers=_auth(node, "tenants"),
        )
        assert resp.status == 422, version
    resp = await node.post(
        "/api/v1/assembly/proposals",
        json={"version": 3},
        headers=_auth(node, "tenants"),
    )
    assert resp.status == 422
    assert (await (await node.get("/assembly/decisions")).json())["orderedItems"] == []
