"""Proposals with an electorate, through real signed HTTP: followers only, a list, and an
assembly of groups across two real nodes of a confederation, one vote per group; votes from
outside are refused and counted apart for the organisers."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from node.runtime import appkeys
from node.services.actors import create_actor
from node.storage import tokens
from tests.conftest import serve_peer, until
from tests.integration.nodes import Nodes
from tests.integration.test_confederations import charter_file, until_following
from tests.peer import Peer

pytestmark = [pytest.mark.db, pytest.mark.integration]


def proposal(**extra: Any) -> dict[str, Any]:
    end = (datetime.now(UTC) + timedelta(days=5)).replace(microsecond=0)
    return {
        "title": "Occupy the empty hotel?",
        "body": "The assembly decides.",
        "options": ["Yes", "No"],
        "endTime": end.isoformat(),
        **extra,
    }


@pytest.fixture
async def node(make_client: Any) -> Any:
    client = await make_client(timezone="Europe/Berlin")
    pool = client.app[appkeys.DB]
    group = await create_actor(
        pool, kind="group", name="tenants", display_name="Tenants"
    )
    _id, client.token = await tokens.create(pool, local_actor_id=group.id, label="t")
    return client


def _base(node: Any) -> str:
    return str(node.app[appkeys.SETTINGS].url)


async def _api(node: Any, method: str, path: str, **kw: Any) -> Any:
    resp = await node.request(
        method, path, headers={"Authorization": f"Bearer {node.token}"}, **kw
    )
    return resp.status, await resp.json()


async def _post(node: Any, peer: Peer, activity: dict[str, Any], as_: str) -> None:
    body = json.dumps(activity).encode()
    resp = await node.post(
        "/inbox", data=body, headers=peer.sign_post(as_, _base(node) + "/inbox", body)
    )
    assert resp.status == 202, await resp.text()


def _act(peer: Peer, as_: str, type_: str, obj: Any) -> dict[str, Any]:
    return {
        "id": f"{peer.actor_id(as_)}#{type_.lower()}/{uuid.uuid4()}",
        "type": type_,
        "actor": peer.actor_id(as_),
        "object": obj,
    }


async def _vote(node: Any, peer: Peer, as_: str, question: str, choice: str) -> None:
    note = {
        "id": f"{peer.actor_id(as_)}#votes/{uuid.uuid4()}",
        "type": "Note",
        "name": choice,
        "attributedTo": peer.actor_id(as_),
        "to": f"{_base(node)}/actors/tenants",
        "inReplyTo": question,
    }
    await _post(node, peer, _act(peer, as_, "Create", note), as_)


async def _settled(node: Any) -> None:
    pool = node.app[appkeys.DB]
    await until(
        lambda: pool.fetchval(
            "SELECT count(*) = 0 FROM inbox WHERE processed_at IS NULL"
        ),
        what="inbox processed",
    )


async def test_only_followers_votes_count_and_refusals_are_counted_apart(
    node: Any, peer: Peer
) -> None:
    peer.add("mallory")
    status, made = await _api(
        node, "POST", "/api/v1/proposals", json=proposal(electorate="followers")
    )
    assert status == 201, made
    assert made["object"]["electorate"] == "followers"
    question = made["id"]
    await _post(
        node,
        peer,
        _act(peer, "alice", "Follow", f"{_base(node)}/actors/tenants"),
        "alice",
    )
    await _settled(node)
    await _vote(node, peer, "alice", question, "Yes")
    await _vote(node, peer, "mallory", question, "No")
    await _vote(node, peer, "mallory", question, "No")  # once is enough to be refused
    await _settled(node)

    key = question.rsplit("/", 1)[1]
    status, own = await _api(node, "GET", f"/api/v1/proposals/{key}")
    assert status == 200
    assert own["votes"] == {
        "electorate": "followers",
        "tallies": {"Yes": 1, "No": 0},
        "voters": 1,
        "eligible": 1,
        "refused": 1,
        "closed": False,
        "outcome": None,
    }
    public = await (await node.get("/api/v1/object", params={"id": question})).json()
    assert "refused" not in public["votes"]
    assert public["votes"]["tallies"] == {"Yes": 1, "No": 0}
    html = await (
        await node.get(
            question.removeprefix(_base(node)), headers={"Accept": "text/html"}
        )
    ).text()
    assert "the group&#39;s followers (1 eligible)" in html
    assert "Europe/Berlin" in html
    assert "paste this page" in html
    assert "1 voted of 1 eligible" in html


async def test_a_list_electorate_needs_its_list_and_keeps_it_private(
    node: Any, peer: Peer
) -> None:
    peer.add("bob")
    alice = peer.actor_id("alice")
    for bad, field in (
        (proposal(electorate="list"), "voters"),
        (proposal(voters=[alice]), "voters"),
        (proposal(electorate="everyone"), "electorate"),
        (proposal(electorate="list", voters=["javascript:alert(1)"]), "voters.0"),
    ):
        status, error = await _api(node, "POST", "/api/v1/proposals", json=bad)
        assert status == 422, bad
        assert field in [f["field"] for f in error["fields"]]
    assert await node.app[appkeys.DB].fetchval("SELECT count(*) FROM objects") == 0
    status, made = await _api(
        node,
        "POST",
        "/api/v1/proposals",
        json=proposal(electorate="list", voters=[alice]),
    )
    assert status == 201, made
    assert alice not in json.dumps(made["object"])  # the list is never published
    await _vote(node, peer, "alice", made["id"], "No")
    await _vote(node, peer, "bob", made["id"], "Yes")
    await _settled(node)
    key = made["id"].rsplit("/", 1)[1]
    _s, own = await _api(node, "GET", f"/api/v1/proposals/{key}")
    assert own["votes"]["tallies"] == {"Yes": 0, "No": 1}
    assert own["votes"]["eligible"] == 1
    assert own["votes"]["refused"] == 1


async def test_an_assembly_of_groups_across_two_nodes_one_vote_per_group(
    nodes: Nodes, tmp_path: Path, aiohttp_server: Any
) -> None:
    a = await nodes.start("a", "127.0.0.3")
    b = await nodes.start("b", "127.0.0.4")
    await a.found("cascadia", charter_file(tmp_path, "open"))
    await b.ok("confederation", "join", f"cascadia@{a.host}")
    await until_following(b, a.actor("node"))
    await until_following(a, b.actor("node"))
    await a.group("assembly")
    await a.group("tenants")
    await b.group("riders")
    made = await a.publish("assembly", "proposals", proposal(electorate="groups"))
    question = made["id"]

    # a group of this node votes through the API; a second vote of the same group is refused
    status, voted = await a.api(
        "POST", "/api/v1/votes", "tenants", json={"question": question, "choice": "Yes"}
    )
    assert (status, voted["status"]) == (201, "counted")
    status, again = await a.api(
        "POST", "/api/v1/votes", "tenants", json={"question": question, "choice": "No"}
    )
    assert (status, again["error"]) == (422, "vote_refused")
    # a group of a member node votes from its own node, as itself
    status, sent = await b.api(
        "POST", "/api/v1/votes", "riders", json={"question": question, "choice": "No"}
    )
    assert (status, sent["status"]) == (201, "sent")

    async def tallies() -> Any:
        return (
            await a.api(
                "GET", f"/api/v1/proposals/{question.rsplit('/', 1)[1]}", "assembly"
            )
        )[1]["votes"]

    await until(
        lambda: _voters(tallies),
        timeout=10,
        what="riders' vote counted on A",
    )
    # people, and groups of servers outside the confederation, are refused
    person = await serve_peer(aiohttp_server, "127.0.0.5", "alice")
    outsider = await serve_peer(aiohttp_server, "127.0.0.6", "squatters")
    outsider.actors["squatters"].extra.update(type="Group", kind="group")
    for peer, who in ((person, "alice"), (outsider, "squatters")):
        note = {
            "id": f"{peer.actor_id(who)}#votes/{uuid.uuid4()}",
            "type": "Note",
            "name": "Yes",
            "attributedTo": peer.actor_id(who),
            "to": a.actor("assembly"),
            "inReplyTo": question,
        }
        body = json.dumps(_act(peer, who, "Create", note)).encode()
        import aiohttp

        async with (
            aiohttp.ClientSession() as session,
            session.post(
                f"{a.url}/inbox",
                data=body,
                headers=peer.sign_post(who, f"{a.url}/inbox", body),
            ) as resp,
        ):
            assert resp.status == 202
    await until(
        lambda: a.db.fetchval("SELECT count(*) = 2 FROM refused_votes"),
        timeout=10,
        what="two refusals",
    )
    votes = await tallies()
    assert votes["tallies"] == {"Yes": 1, "No": 1}
    assert votes["voters"] == 2
    assert (
        votes["refused"] == 2
    )  # alice and the outside group (a second vote is no refusal)
    # A's groups (assembly, tenants) and the member node's group it knows (riders)
    assert votes["eligible"] == 3
    reasons = {
        r["voter"]: r["reason"]
        for r in await a.db.fetch("SELECT voter, reason FROM refused_votes")
    }
    assert reasons[person.actor_id("alice")] == "not a group"
    assert reasons[outsider.actor_id("squatters")] == "not a group of a member node"


async def _voters(tallies: Any) -> bool:
    return bool((await tallies())["voters"] == 2)
