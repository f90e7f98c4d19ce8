"""A group moderates from its inbox, through real signed HTTP: blocking a remote actor undoes
and refuses its follow, replies, reactions, votes and pledges (for that group only);
reports go out as a Flag from the instance actor; reports about the group come in."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from node.runtime import appkeys
from node.services.actors import create_actor
from node.storage import tokens
from tests.conftest import until
from tests.integration.test_pledges import future_call
from tests.peer import Peer

pytestmark = [pytest.mark.db, pytest.mark.integration]
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


@pytest.fixture
async def node(make_client: Any) -> Any:
    client = await make_client()
    pool = client.app[appkeys.DB]
    client.tokens = {}
    for name in ("tenants", "riders"):
        group = await create_actor(pool, kind="group", name=name)
        _id, client.tokens[name] = await tokens.create(
            pool, local_actor_id=group.id, label="t"
        )
    return client


def _base(node: Any) -> str:
    return str(node.app[appkeys.SETTINGS].url)


async def _api(
    node: Any, method: str, path: str, group: str = "tenants", **kw: Any
) -> Any:
    resp = await node.request(
        method, path, headers={"Authorization": f"Bearer {node.tokens[group]}"}, **kw
    )
    return resp.status, None if resp.status == 204 else await resp.json()


async def _post(
    node: Any, peer: Peer, activity: dict[str, Any], as_: str = "mallory"
) -> None:
    body = json.dumps(activity).encode()
    resp = await node.post(
        "/inbox", data=body, headers=peer.sign_post(as_, _base(node) + "/inbox", body)
    )
    assert resp.status == 202, await resp.text()


def _act(peer: Peer, type_: str, obj: Any, as_: str = "mallory") -> dict[str, Any]:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{peer.actor_id(as_)}#{type_.lower()}/{uuid.uuid4()}",
        "type": type_,
        "actor": peer.actor_id(as_),
        "object": obj,
    }


def _reply(peer: Peer, to: str, text: str) -> dict[str, Any]:
    mallory = peer.actor_id("mallory")
    return {
        "id": f"{mallory}/statuses/{uuid.uuid4()}",
        "type": "Note",
        "attributedTo": mallory,
        "inReplyTo": to,
        "content": f"<p>{text}</p>",
        "to": [PUBLIC],
    }


def _vote(peer: Peer, question: str, choice: str) -> dict[str, Any]:
    mallory = peer.actor_id("mallory")
    return {
        "id": f"{mallory}#votes/{uuid.uuid4()}",
        "type": "Note",
        "name": choice,
        "attributedTo": mallory,
        "inReplyTo": question,
    }


async def _settled(node: Any) -> None:
    pool = node.app[appkeys.DB]
    await until(
        lambda: pool.fetchval(
            "SELECT count(*) = 0 FROM inbox WHERE processed_at IS NULL"
        ),
        what="inbox processed",
    )


async def _state(node: Any, call: str, question: str) -> dict[str, Any]:
    pool = node.app[appkeys.DB]
    mallory_rows = """SELECT (SELECT count(*) FROM followers f JOIN local_actors a
                                ON a.id = f.local_actor_id WHERE a.name = 'tenants'),
                             (SELECT count(*) FROM reactions WHERE object_id = $1),
                             (SELECT count(*) FROM poll_votes WHERE question_id = $2),
                             (SELECT count(*) FROM pledges WHERE call_id = $1)"""
    row = await pool.fetchrow(mallory_rows, call, question)
    page = await (
        await node.get(call.removeprefix(_base(node)), headers={"Accept": "text/html"})
    ).text()
    return {
        "followers": row[0],
        "reactions": row[1],
        "votes": row[2],
        "pledges": row[3],
        "reply_shown": "spam spam" in page,
    }


async def test_blocking_undoes_and_refuses_what_an_actor_does_to_the_group(
    node: Any, peer: Peer
) -> None:
    peer.add("mallory")
    tenants = f"{_base(node)}/actors/tenants"
    _s, call = await _api(node, "POST", "/api/v1/calls", json=future_call())
    end = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0).isoformat()
    _s, prop = await _api(
        node,
        "POST",
        "/api/v1/proposals",
        json={
            "title": "Strike?",
            "body": "Decide.",
            "options": ["Yes", "No"],
            "endTime": end,
        },
    )
    call_id, question = call["id"], prop["id"]
    for activity in (
        _act(peer, "Follow", tenants),
        _act(peer, "Like", call_id),
        _act(peer, "Create", _reply(peer, call_id, "spam spam")),
        _act(peer, "Create", _vote(peer, question, "No")),
        _act(peer, "Join", call_id),
    ):
        await _post(node, peer, activity)
    await _settled(node)
    assert await _state(node, call_id, question) == {
        "followers": 1,
        "reactions": 1,
        "votes": 1,
        "pledges": 1,
        "reply_shown": True,
    }
    mallory = peer.actor_id("mallory")
    status, blocked = await _api(
        node, "POST", "/api/v1/blocks", json={"actor": mallory}
    )
    assert status == 200, blocked
    assert blocked == {
        "actor": mallory,
        "blocked": True,
        "followers_removed": 1,
        "replies_hidden": 1,
        "reactions_removed": 1,
        "votes_removed": 1,
        "pledges_removed": 1,
    }
    assert await _state(node, call_id, question) == {
        "followers": 0,
        "reactions": 0,
        "votes": 0,
        "pledges": 0,
        "reply_shown": False,
    }
    # their server learns the follow ended
    await until(lambda: peer.activities("Reject"), what="Reject{Follow} to mallory")

    # from now on, nothing of theirs counts for this group
    before = len(peer.activities("Reject"))
    for activity in (
        _act(peer, "Follow", tenants),
        _act(peer, "Like", call_id),
        _act(peer, "Create", _reply(peer, call_id, "spam spam again")),
        _act(peer, "Create", _vote(peer, question, "No")),
        _act(peer, "Join", call_id),
    ):
        await _post(node, peer, activity)
    await _settled(node)
    assert await _state(node, call_id, question) == {
        "followers": 0,
        "reactions": 0,
        "votes": 0,
        "pledges": 0,
        "reply_shown": False,
    }
    await until(
        lambda: len(peer.activities("Reject")) > before, what="the new follow refused"
    )
    _s, inbox = await _api(node, "GET", "/api/v1/inbox")
    assert all(
        i["object"]["content"] != "<p>spam spam again</p>" for i in inbox["items"]
    )
    assert (
        await node.app[appkeys.DB].fetchval(
            "SELECT reason FROM refused_votes WHERE voter = $1", mallory
        )
        == "blocked by the group"
    )
    # another group of the node is not affected
    await _post(node, peer, _act(peer, "Follow", f"{_base(node)}/actors/riders"))
    await _settled(node)
    assert (
        await node.app[appkeys.DB].fetchval(
            """SELECT count(*) FROM followers f JOIN local_actors a ON a.id = f.local_actor_id
           WHERE a.name = 'riders' AND f.state = 'accepted'"""
        )
        == 1
    )

    _s, listed = await _api(node, "GET", "/api/v1/blocks")
    assert [b["actor"]["id"] for b in listed["items"]] == [mallory]
    _s, other = await _api(node, "GET", "/api/v1/blocks", "riders")
    assert other["items"] == []
    status, _none = await _api(
        node, "DELETE", "/api/v1/blocks", params={"actor": mallory}
    )
    assert status == 204
    status, _none = await _api(
        node, "DELETE", "/api/v1/blocks", params={"actor": mallory}
    )
    assert status == 404
    for bad in ({}, {"actor": "mallory"}, {"actor": mallory, "why": "x"}, ["x"]):
        status, error = await _api(node, "POST", "/api/v1/blocks", json=bad)
        assert status == 422, bad
    status, error = await _api(node, "POST", "/api/v1/blocks", json={"actor": tenants})
    assert (status, error["error"]) == (422, "local_actor")


async def test_reports_go_out_as_a_flag_and_come_in_to_the_inbox(
    node: Any, peer: Peer
) -> None:
    peer.add("mallory")
    mallory = peer.actor_id("mallory")
    _s, call = await _api(node, "POST", "/api/v1/calls", json=future_call())
    # a stranger cannot be reported by the group
    status, refused = await _api(
        node, "POST", "/api/v1/reports", json={"actor": mallory}
    )
    assert (status, refused["error"]) == (422, "not_in_touch")
    reply = _reply(peer, call["id"], "you will regret this")
    await _post(node, peer, _act(peer, "Create", reply))
    await _settled(node)
    for bad, field in (
        ({"actor": mallory, "objects": ["https://elsewhere.example/x"]}, "objects.0"),
        ({"actor": mallory, "objects": [reply["id"]] * 21}, "objects"),
        ({"actor": mallory, "comment": "x" * 1001}, "comment"),
    ):
        status, error = await _api(node, "POST", "/api/v1/reports", json=bad)
        assert status == 422, bad
        assert field in [f["field"] for f in error["fields"]]
    assert peer.activities("Flag") == []
    status, sent = await _api(
        node,
        "POST",
        "/api/v1/reports",
        json={"actor": mallory, "objects": [reply["id"]], "comment": "Threats."},
    )
    assert status == 201, sent
    await until(lambda: peer.activities("Flag"), what="the Flag at mallory's server")
    [flag] = peer.activities("Flag")
    assert (
        flag["actor"] == f"{_base(node)}/actor"
    )  # the instance actor: no organiser named
    assert flag["object"] == [mallory, reply["id"]]
    assert flag["content"] == "Threats."

    # a report about the group, from someone else's server
    incoming = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{peer.base}/flags/{uuid.uuid4()}",
        "type": "Flag",
        "actor": peer.actor_id("alice"),
        "content": "This call is fake.",
        "object": [f"{_base(node)}/actors/tenants", call["id"]],
    }
    await _post(node, peer, incoming, as_="alice")
    await _settled(node)
    _s, inbox = await _api(node, "GET", "/api/v1/inbox?kind=report")
    [item] = inbox["items"]
    assert item["report"] == {
        "comment": "This call is fake.",
        "objects": [f"{_base(node)}/actors/tenants", call["id"]],
    }
    assert item["about"]["id"] == call["id"]
    _s, riders = await _api(node, "GET", "/api/v1/inbox?kind=report", "riders")
    assert riders["items"] == []
