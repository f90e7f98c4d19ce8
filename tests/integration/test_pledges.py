"""Pledges from any client, through real signed HTTP: a Mastodon-like follower answers the
direct Questions the group sends; an event-aware server Joins, TentativeAccepts, Rejects,
Leaves and Undoes; counts are public, who pledged is the group's; pledgers hear of changes
and get the reminder."""

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
from tests.integration.test_movement import CALL
from tests.peer import Peer

pytestmark = [pytest.mark.db, pytest.mark.integration]
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


def future_call(**overrides: Any) -> dict[str, Any]:
    start = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)
    return (
        CALL
        | {
            "startTime": start.isoformat(),
            "endTime": (start + timedelta(hours=2)).isoformat(),
            "timezone": "Europe/Berlin",
            "asks": ["turnout", "volunteers"],
            "capabilitiesNeeded": ["legal"],
            "clusters": [],
        }
        | overrides
    )


@pytest.fixture
async def node(make_client: Any) -> Any:
    client = await make_client()
    pool = client.app[appkeys.DB]
    client.tokens = {}
    for name in ("tenants", "riders"):
        group = await create_actor(
            pool, kind="group", name=name, display_name=name.title()
        )
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


async def _post(node: Any, peer: Peer, activity: dict[str, Any], as_: str) -> None:
    body = json.dumps(activity).encode()
    resp = await node.post(
        "/inbox", data=body, headers=peer.sign_post(as_, _base(node) + "/inbox", body)
    )
    assert resp.status == 202, await resp.text()


def _act(peer: Peer, as_: str, type_: str, obj: Any) -> dict[str, Any]:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{peer.actor_id(as_)}#{type_.lower()}/{uuid.uuid4()}",
        "type": type_,
        "actor": peer.actor_id(as_),
        "object": obj,
    }


async def _vote(
    node: Any, peer: Peer, as_: str, question: dict[str, Any], name: str
) -> None:
    """A poll answer as Mastodon sends it (VoteSerializer): a Note with a name only."""
    note = {
        "id": f"{peer.actor_id(as_)}#votes/{uuid.uuid4()}",
        "type": "Note",
        "name": name,
        "attributedTo": peer.actor_id(as_),
        "to": question["attributedTo"],
        "inReplyTo": question["id"],
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


def _questions(peer: Peer) -> list[dict[str, Any]]:
    return [
        c["object"]
        for c in peer.activities("Create")
        if c["object"]["type"] == "Question"
    ]


def _direct_notes(peer: Peer) -> list[dict[str, Any]]:
    return [
        c["object"] for c in peer.activities("Create") if c["object"]["type"] == "Note"
    ]


async def _counts(node: Any, call: str) -> dict[str, Any]:
    resp = await node.get("/api/v1/object", params={"id": call})
    assert resp.status == 200
    return dict((await resp.json())["pledges"])


async def test_a_mastodon_follower_pledges_by_answering_the_groups_questions(
    node: Any, peer: Peer
) -> None:
    peer.add("mallory")
    data = future_call()
    status, made = await _api(node, "POST", "/api/v1/calls", json=data)
    assert status == 201, made
    call = made["id"]
    tenants = f"{_base(node)}/actors/tenants"
    await _post(node, peer, _act(peer, "alice", "Follow", tenants), "alice")
    await until(lambda: len(_questions(peer)) == 2, what="two questions to alice")
    [turnout] = [q for q in _questions(peer) if "oneOf" in q]
    [helping] = [q for q in _questions(peer) if "anyOf" in q]
    alice = peer.actor_id("alice")
    for q in (turnout, helping):
        assert q["to"] == [alice]
        assert q["cc"] == []
        assert q["endTime"] == data["startTime"]
        assert {"type": "Mention", "href": alice, "name": "@alice"} in q["tag"]
    assert [o["name"] for o in turnout["oneOf"]] == [
        "I'll be there",
        "Maybe",
        "I can't come",
    ]
    assert [o["name"] for o in helping["anyOf"]] == [
        "I can volunteer",
        "I can help with legal support",
    ]
    assert "Will you come to" in turnout["content"]
    # the Question is served to alice alone
    path = turnout["id"].removeprefix(_base(node))
    assert (
        await node.get(path, headers=peer.sign_get("alice", turnout["id"]))
    ).status == 200
    assert (
        await node.get(path, headers=peer.sign_get("mallory", turnout["id"]))
    ).status == 404

    await _vote(node, peer, "alice", turnout, "I'll be there")
    await _vote(node, peer, "alice", helping, "I can help with legal support")
    await _vote(node, peer, "alice", helping, "I can help with legal support")  # again
    await _vote(node, peer, "alice", helping, "I can fly")  # not an option
    await _vote(node, peer, "mallory", turnout, "I'll be there")  # not the addressee
    await _settled(node)
    assert await _counts(node, call) == {
        "going": 1,
        "maybe": 0,
        "no": 0,
        "help": {"legal": 1},
    }
    # a vote is no reply and no inbox item
    _s, inbox = await _api(node, "GET", "/api/v1/inbox")
    assert inbox["items"] == []

    # public: counts on the page and in the Event; never who
    page = await (
        await node.get(call.removeprefix(_base(node)), headers={"Accept": "text/html"})
    ).text()
    assert "1 going" in page
    assert "1 offering legal support" in page
    assert "alice" not in page
    event = await (
        await node.get(
            call.removeprefix(_base(node)), headers=peer.sign_get("mallory", call)
        )
    ).json()
    assert event["participantCount"] == 1
    assert "alice" not in json.dumps(event)
    # the group sees who; another group's token does not
    key = call.rsplit("/", 1)[1]
    status, listed = await _api(node, "GET", f"/api/v1/calls/{key}/pledges")
    assert status == 200
    [pledge] = listed["pledges"]
    assert pledge["actor"]["id"] == alice
    assert pledge["answer"] == "going"
    assert pledge["help"] == ["legal"]
    assert pledge["via"] == "question"
    status, _refused = await _api(node, "GET", f"/api/v1/calls/{key}/pledges", "riders")
    assert status == 404
    # ... and in /admin, for the group's organisers only
    for group, seen in (("riders", False), ("tenants", True)):
        node.session.cookie_jar.clear()
        await node.post("/admin/login", data={"token": node.tokens[group]})
        resp = await node.get(f"/admin/call/{key}/pledges")
        assert resp.status == (200 if seen else 404)
        if seen:
            html = await resp.text()
            assert f"@alice@{peer.base.split('//')[1]}" in html
            assert "legal support" in html

    # a second follow asks nothing again
    await _post(node, peer, _act(peer, "alice", "Follow", tenants), "alice")
    await _settled(node)
    assert len(_questions(peer)) == 2

    # the time changes: alice is told, in a direct message
    moved = data | {
        "startTime": (
            datetime.fromisoformat(data["startTime"]) + timedelta(days=1)
        ).isoformat(),
        "endTime": (
            datetime.fromisoformat(data["endTime"]) + timedelta(days=1)
        ).isoformat(),
    }
    status, _updated = await _api(node, "PUT", f"/api/v1/calls/{key}", json=moved)
    assert status == 200
    await until(lambda: _direct_notes(peer), what="alice told of the new time")
    [told] = _direct_notes(peer)
    assert told["to"] == [alice]
    assert told["cc"] == []
    assert "New time:" in told["content"]
    assert told["inReplyTo"] == call
    # an edit that moves neither time nor place says nothing
    status, _updated = await _api(
        node, "PUT", f"/api/v1/calls/{key}", json=moved | {"summary": "More news."}
    )
    assert status == 200
    status, _gone = await _api(node, "DELETE", f"/api/v1/calls/{key}")
    assert status == 204
    await until(
        lambda: len(_direct_notes(peer)) == 2, what="alice told of the cancellation"
    )
    assert "is cancelled" in _direct_notes(peer)[1]["content"]
    assert len(_direct_notes(peer)) == 2


async def test_event_aware_servers_join_tentatively_accept_reject_leave_and_undo(
    node: Any, peer: Peer
) -> None:
    _s, made = await _api(node, "POST", "/api/v1/calls", json=future_call())
    call = made["id"]
    peer.add("bob")
    join = _act(peer, "bob", "Join", call)
    await _post(node, peer, join, "bob")
    await _settled(node)
    assert (await _counts(node, call))["going"] == 1
    # Mobilizon waits for the organiser's Accept of its Join
    await until(lambda: peer.activities("Accept"), what="Accept{Join} to bob")
    [accepted] = peer.activities("Accept")
    assert accepted["object"]["id"] == join["id"]
    assert accepted["actor"] == f"{_base(node)}/actors/tenants"

    tentative = _act(peer, "bob", "TentativeAccept", call)
    await _post(node, peer, tentative, "bob")
    await _settled(node)
    assert (await _counts(node, call))["going"] == 0
    assert (await _counts(node, call))["maybe"] == 1
    await _post(node, peer, _act(peer, "bob", "Undo", tentative), "bob")
    await _settled(node)
    assert (await _counts(node, call))["maybe"] == 0

    await _post(node, peer, _act(peer, "alice", "Accept", call), "alice")
    await _post(node, peer, _act(peer, "bob", "Reject", call), "bob")
    await _settled(node)
    counts = await _counts(node, call)
    assert (counts["going"], counts["no"]) == (1, 1)
    await _post(node, peer, _act(peer, "alice", "Leave", call), "alice")
    await _settled(node)
    assert (await _counts(node, call))["going"] == 0

    # someone else's Undo changes nothing
    rejoin = _act(peer, "alice", "Join", call)
    await _post(node, peer, rejoin, "alice")
    forged = _act(peer, "bob", "Undo", rejoin)
    await _post(node, peer, forged, "bob")
    await _settled(node)
    assert (await _counts(node, call))["going"] == 1


async def test_pledges_are_refused_where_the_call_is_not_for_them_or_has_begun(
    node: Any, peer: Peer
) -> None:
    _s, private = await _api(
        node, "POST", "/api/v1/calls", json=future_call(audience="followers")
    )
    _s, past = await _api(
        node,
        "POST",
        "/api/v1/calls",
        json=future_call(
            startTime=(datetime.now(UTC) - timedelta(hours=3)).isoformat(),
            endTime=(datetime.now(UTC) - timedelta(hours=1)).isoformat(),
        ),
    )
    _s, no_turnout = await _api(
        node,
        "POST",
        "/api/v1/calls",
        json=future_call(asks=["public-comment"], capabilitiesNeeded=[]),
    )
    for made in (private, past, no_turnout):
        await _post(node, peer, _act(peer, "alice", "Join", made["id"]), "alice")
    await _settled(node)
    pool = node.app[appkeys.DB]
    assert await pool.fetchval("SELECT count(*) FROM pledges") == 0
    assert peer.activities("Accept") == []


async def test_asking_on_request_and_the_reminder(node: Any, peer: Peer) -> None:
    start = (datetime.now(UTC) + timedelta(hours=2)).replace(microsecond=0)
    _s, made = await _api(
        node,
        "POST",
        "/api/v1/calls",
        json=future_call(
            startTime=start.isoformat(),
            endTime=(start + timedelta(hours=1)).isoformat(),
        ),
    )
    key = made["id"].rsplit("/", 1)[1]
    alice = peer.actor_id("alice")
    # a stranger cannot be sent questions
    status, refused = await _api(
        node, "POST", f"/api/v1/calls/{key}/ask", json={"actor": alice}
    )
    assert (status, refused["error"]) == (422, "not_in_touch")
    assert _questions(peer) == []
    # once alice wrote to the group, an organiser may ask her
    reply = {
        "id": f"{alice}/statuses/{uuid.uuid4()}",
        "type": "Note",
        "attributedTo": alice,
        "inReplyTo": made["id"],
        "content": "<p>how can I help?</p>",
        "to": [PUBLIC],
    }
    await _post(node, peer, _act(peer, "alice", "Create", reply), "alice")
    await _settled(node)
    for bad in ({}, {"actor": 5}, {"actor": alice, "also": 1}):
        status, error = await _api(node, "POST", f"/api/v1/calls/{key}/ask", json=bad)
        assert status == 422, bad
    status, asked = await _api(
        node, "POST", f"/api/v1/calls/{key}/ask", json={"actor": alice}
    )
    assert status == 200, asked
    assert asked["questions_sent"] == 2
    await until(lambda: len(_questions(peer)) == 2, what="questions to alice")
    [turnout] = [q for q in _questions(peer) if "oneOf" in q]
    await _vote(node, peer, "alice", turnout, "Maybe")
    await _settled(node)
    assert (await _counts(node, made["id"]))["maybe"] == 1

    bad_reminders: list[dict[str, Any]] = [
        {"hours_before": 0},
        {"hours_before": "2"},
        {"hours_before": True},
        {"hours_before": 400},
        {},
    ]
    for bad in bad_reminders:
        status, error = await _api(
            node, "PUT", f"/api/v1/calls/{key}/reminder", json=bad
        )
        assert status == 422, bad
        assert error["fields"][0]["field"] in ("hours_before",)
    assert (
        await node.app[appkeys.DB].fetchval("SELECT count(*) FROM pledge_reminders")
        == 0
    )
    status, set_ = await _api(
        node, "PUT", f"/api/v1/calls/{key}/reminder", json={"hours_before": 2}
    )
    assert status == 200, set_
    await until(lambda: _direct_notes(peer), what="the reminder to alice")
    [reminder] = _direct_notes(peer)
    assert reminder["to"] == [alice]
    assert "A reminder:" in reminder["content"]
    _s, listed = await _api(node, "GET", f"/api/v1/calls/{key}/pledges")
    assert listed["reminder"]["sent"] is True
