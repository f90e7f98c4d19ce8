"""Movement objects through the public interfaces: the authoring API (bearer tokens), the CLI,
the ActivityPub object URLs, and delivery to a real signed peer on loopback."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from node.runtime import appkeys
from node.services.actors import create_actor
from node.storage import tokens
from tests.conftest import db_value, run_cli, until
from tests.peer import Peer

pytestmark = [pytest.mark.db, pytest.mark.integration]
AP = "application/activity+json"

CALL = {
    "title": "Pack the council hearing on the rent cap",
    "summary": "The council votes on the rent cap; show them we care.",
    "body": "We meet at the **steps** at 17:30.\n\nBring signs.",
    "startTime": "2026-12-05T18:00:00-08:00",
    "endTime": "2026-12-05T20:00:00-08:00",
    "timezone": "America/Los_Angeles",
    "location": {
        "name": "Seattle City Hall",
        "address": "600 4th Ave, Seattle",
        "latitude": 47.6036,
        "longitude": -122.3294,
    },
    "urgency": "high",
    "asks": ["turnout", "capabilities"],
    "capabilitiesNeeded": ["legal", "medic"],
    "clusters": ["housing", "transport"],
}
VISION = {
    "title": "A city where no one is displaced",
    "summary": "Every neighbourhood keeps its people: social housing for half the city.",
    "body": "## Why\n\nBecause homes are for living.",
    "horizon": 20,
    "place": "Seattle",
    "clusters": ["housing"],
}
OFFER = {
    "title": "Know-your-rights trainings for tenants",
    "capability": "legal",
    "body": "Two lawyers, evenings.",
    "areaServed": "King County",
    "availability": "weekday evenings",
    "howToAsk": "write to legal@tenants.example",
}
PROPOSAL = {
    "title": "Join the regional tenant confederation?",
    "body": "The assembly decides by simple majority.",
    "options": ["Yes", "No", "Later"],
    "endTime": "2026-12-20T12:00:00Z",
}


@pytest.fixture
async def node(make_client: Any) -> Any:
    client = await make_client()
    pool = client.app[appkeys.DB]
    await create_actor(pool, kind="group", name="tenants", display_name="Tenants Union")
    for cluster in ("housing", "transport"):
        await create_actor(pool, kind="cluster", name=cluster, display_name=cluster)
    return client


@pytest.fixture
async def token(node: Any) -> str:
    pool = node.app[appkeys.DB]
    row = await pool.fetchrow("SELECT id FROM local_actors WHERE name = 'tenants'")
    _id, secret = await tokens.create(pool, local_actor_id=row["id"], label="tests")
    return secret


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _base(node: Any) -> str:
    return str(node.app[appkeys.SETTINGS].url)


async def _publish(node: Any, token: str, collection: str, data: Any) -> Any:
    return await node.post(f"/api/v1/{collection}", json=data, headers=_auth(token))


async def _stored(node: Any) -> tuple[int, int, int]:
    pool = node.app[appkeys.DB]
    return (
        await pool.fetchval("SELECT count(*) FROM objects"),
        await pool.fetchval("SELECT count(*) FROM outbox"),
        await pool.fetchval("SELECT count(*) FROM deliveries"),
    )


async def _follow(node: Any, peer: Peer, who: str, target: str) -> None:
    follow = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{peer.actor_id(who)}#follows/{uuid.uuid4()}",
        "type": "Follow",
        "actor": peer.actor_id(who),
        "object": f"{_base(node)}/actors/{target}",
    }
    body = json.dumps(follow).encode()
    path = f"/actors/{target}/inbox"
    resp = await node.post(
        path, data=body, headers=peer.sign_post(who, _base(node) + path, body)
    )
    assert resp.status == 202, await resp.text()
    accepted = len(peer.activities("Accept"))
    await until(lambda: len(peer.activities("Accept")) > accepted)


async def test_call_to_action_is_an_event_whose_summary_carries_the_essentials(
    node: Any, token: str
) -> None:
    resp = await _publish(node, token, "calls", CALL)
    assert resp.status == 201, await resp.text()
    obj = (await resp.json())["object"]
    assert obj["type"] == "Event"
    assert obj["kind"] == "call"
    assert obj["@context"][:2] == [
        "https://www.w3.org/ns/activitystreams",
        "https://w3id.org/security/v1",
    ]
    assert obj["@context"][2]["mov"] == "https://w3id.org/movement-node/ns#"
    # what Mastodon shows for an Event: name + summary + link
    assert obj["name"] == CALL["title"]
    summary = obj["summary"]
    for essential in (
        "Sat 5 Dec 2026, 18:00\u201320:00 PST (America/Los_Angeles)",
        "Seattle City Hall, 600 4th Ave, Seattle",
        "Urgency: high",
        "turn out",
        "legal support",
        "street medics",
    ):
        assert essential in summary, essential
    assert obj["url"] == obj["id"]
    assert obj["startTime"] == CALL["startTime"]
    assert obj["location"] == {
        "type": "Place",
        "name": "Seattle City Hall",
        "address": "600 4th Ave, Seattle",
        "latitude": 47.6036,
        "longitude": -122.3294,
    }
    assert obj["content"] == (
        "<p>We meet at the <strong>steps</strong> at 17:30.</p>\n<p>Bring signs.</p>"
    )
    assert obj["source"] == {"content": CALL["body"], "mediaType": "text/markdown"}
    assert [t["name"] for t in obj["tag"]] == ["#housing", "#transport"]
    assert obj["clusters"] == [
        f"{_base(node)}/actors/housing",
        f"{_base(node)}/actors/transport",
    ]
    # served at its URL; unsigned JSON fetches are refused (authorized fetch by default)
    path = obj["id"].removeprefix(_base(node))
    assert (await node.get(path, headers={"Accept": AP})).status == 401
    page = await node.get(path, headers={"Accept": "text/html"})
    assert page.status == 200
    assert "<strong>steps</strong>" in await page.text()


async def test_vision_article_summary_and_offer_and_proposal_bodies(
    node: Any, token: str
) -> None:
    vision = (await (await _publish(node, token, "visions", VISION)).json())["object"]
    assert vision["type"] == "Article"
    assert vision["summary"] == (  # HTML: the author's words escaped, in a paragraph
        "<p>Every neighbourhood keeps its people: social housing for half the city. "
        "Horizon: 20 years. Place: Seattle.</p>"
    )
    assert (
        vision["content"]
        == "<p><strong>Why</strong></p>\n<p>Because homes are for living.</p>"
    )

    offer = (await (await _publish(node, token, "offers", OFFER)).json())["object"]
    assert offer["type"] == "Note"
    assert "summary" not in offer, "a Note's summary is a content warning on Mastodon"
    for essential in (
        "Offer: legal support",
        "King County",
        "weekday evenings",
        "legal@tenants.example",
    ):
        assert essential in offer["content"], essential

    question = (await (await _publish(node, token, "proposals", PROPOSAL)).json())[
        "object"
    ]
    assert question["type"] == "Question"
    assert [o["name"] for o in question["oneOf"]] == ["Yes", "No", "Later"]
    assert question["endTime"] == "2026-12-20T12:00:00Z"
    assert question["votersCount"] == 0

    comment = {k: CALL[k] for k in ("title", "body", "urgency")} | {
        "asks": ["public-comment"]
    }
    note = (await (await _publish(node, token, "calls", comment)).json())["object"]
    assert note["type"] == "Note", "a call for public comment with no time and place"
    assert note["content"].startswith("<p>Pack the council hearing")
    assert "comment publicly" in note["content"]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (
            {"body": "<script>alert(1)</script>", "urgency": "soon"},
            "urgency",
            "must be one of",
        ),
        ({"title": "x" * 201}, "title", "is longer than"),
        ({"asks": "turnout"}, "asks", 'must be of type "array"'),
        ({"capabilitiesNeeded": ["lawyers"]}, "capabilitiesNeeded.0", "must be one of"),
        ({"startTime": "next friday"}, "startTime", "not a valid date-time"),
        ({"startTime": "2026-12-05T18:00:00"}, "startTime", "needs an offset"),
        (
            {"endTime": "2026-12-05T17:00:00-08:00"},
            "endTime",
            "must be after startTime",
        ),
        ({"timezone": "Mars/Olympus"}, "timezone", "not a valid timezone"),
        ({"clusters": ["no_such_cluster"]}, "clusters.0", "no cluster"),
        ({"onclick": "steal()"}, "onclick", "Additional properties"),
    ],
)
async def test_hostile_input_is_a_422_naming_the_field_and_stores_nothing(
    node: Any, token: str, change: dict[str, Any], field: str, message: str
) -> None:
    before = await _stored(node)
    resp = await _publish(node, token, "calls", CALL | change)
    assert resp.status == 422
    body = await resp.json()
    assert body["error"] == "invalid_input"
    assert body["message"] == "invalid input"
    assert any(
        f["field"] == field and message in f["message"] for f in body["fields"]
    ), body
    assert await _stored(node) == before


async def test_script_in_markdown_never_reaches_the_html(node: Any, token: str) -> None:
    hostile = "Hi <script>alert(1)</script> <img src=x onerror=alert(2)> [x](javascript:alert(3))"
    obj = (
        await (await _publish(node, token, "offers", OFFER | {"body": hostile})).json()
    )["object"]
    html = obj["content"]
    assert "<script" not in html
    assert "<img" not in html
    assert "javascript:" not in html.replace("[x](javascript:alert(3))", "")
    assert 'href="javascript' not in html


async def test_bad_requests_are_precise_and_store_nothing(
    node: Any, token: str
) -> None:
    before = await _stored(node)
    assert (await _publish(node, "mn_wrong", "calls", CALL)).status == 401
    assert (await node.post("/api/v1/calls", json=CALL)).status == 401
    resp = await node.post(
        "/api/v1/calls",
        data=b"{not json",
        headers=_auth(token) | {"Content-Type": "application/json"},
    )
    assert resp.status == 400
    assert "error" in await resp.json()
    resp = await node.post(
        "/api/v1/calls",
        data=b"x",
        headers=_auth(token) | {"Content-Type": "text/plain"},
    )
    assert resp.status == 415
    resp = await _publish(node, token, "calls", ["not", "an", "object"])
    assert resp.status == 422
    assert await _stored(node) == before


async def test_followers_get_the_create_and_cluster_followers_the_announces(
    node: Any, token: str, peer: Peer
) -> None:
    peer.add("alice")
    peer.add("bob")
    await _follow(node, peer, "alice", "tenants")
    await _follow(node, peer, "bob", "housing")
    obj = (await (await _publish(node, token, "calls", CALL)).json())["object"]
    await until(lambda: len(peer.activities("Announce")) == 2)
    await until(lambda: len(peer.activities("Create")) == 1)
    create = peer.activities("Create")[0]
    assert create["object"]["id"] == obj["id"]
    assert create["object"]["startTime"] == CALL["startTime"]
    announces = peer.activities("Announce")
    assert {a["actor"] for a in announces} == {f"{_base(node)}/actors/housing"}
    objects = [a["object"] for a in announces]
    assert obj["id"] in objects, "the plain Announce Mastodon boosts"
    assert any(isinstance(o, dict) and o.get("type") == "Create" for o in objects), (
        "FEP-1b12"
    )


async def test_update_and_delete_publish_and_leave_a_tombstone(
    node: Any, token: str, peer: Peer
) -> None:
    peer.add("alice")
    await _follow(node, peer, "alice", "tenants")
    created = await (await _publish(node, token, "calls", CALL)).json()
    uid = created["id"].rsplit("/", 1)[1]
    changed = CALL | {"urgency": "critical"}
    resp = await node.put(f"/api/v1/calls/{uid}", json=changed, headers=_auth(token))
    assert resp.status == 200, await resp.text()
    await until(lambda: len(peer.activities("Update")) == 1)
    update = peer.activities("Update")[0]
    assert update["object"]["urgency"] == "critical"
    assert update["object"]["updated"] >= update["object"]["published"]
    got = await (await node.get(f"/api/v1/calls/{uid}", headers=_auth(token))).json()
    assert got["fields"]["urgency"] == "critical"

    assert (
        await node.delete(f"/api/v1/calls/{uid}", headers=_auth(token))
    ).status == 204
    await until(lambda: len(peer.activities("Delete")) == 1)
    assert peer.activities("Delete")[0]["object"]["type"] == "Tombstone"
    path = created["id"].removeprefix(_base(node))
    assert (await node.get(path, headers={"Accept": AP})).status == 410
    assert (await node.get(f"/api/v1/calls/{uid}", headers=_auth(token))).status == 404
    again = await node.put(f"/api/v1/calls/{uid}", json=changed, headers=_auth(token))
    assert again.status == 404


async def test_read_api_filters_by_kind_and_cluster_and_hides_followers_only(
    node: Any, token: str
) -> None:
    await _publish(node, token, "calls", CALL)
    await _publish(node, token, "visions", VISION | {"clusters": ["transport"]})
    await _publish(node, token, "offers", OFFER | {"audience": "followers"})
    everything = await (await node.get("/api/v1/objects")).json()
    assert sorted(i["kind"] for i in everything["items"]) == ["call", "vision"]
    calls = await (await node.get("/api/v1/objects?kind=call")).json()
    assert [i["kind"] for i in calls["items"]] == ["call"]
    housing = await (await node.get("/api/v1/objects?cluster=housing")).json()
    assert [i["kind"] for i in housing["items"]] == ["call"]
    assert (await node.get("/api/v1/objects?kind=poem")).status == 400
    assert (await node.get("/api/v1/objects?since=yesterday")).status == 400


async def test_followers_only_objects_reach_only_followers_and_the_author(
    node: Any, token: str, peer: Peer
) -> None:
    peer.add("alice")
    peer.add("mallory")
    await _follow(node, peer, "alice", "tenants")
    created = await _publish(node, token, "offers", OFFER | {"audience": "followers"})
    object_id = (await created.json())["id"]
    path = object_id.removeprefix(_base(node))
    seen = await node.get(path, headers=peer.sign_get("alice", object_id))
    assert seen.status == 200
    assert (await seen.json())["capability"] == "legal"
    assert (
        await node.get(path, headers=peer.sign_get("mallory", object_id))
    ).status == 404
    assert (await node.get(path, headers={"Accept": AP})).status in (401, 404)
    assert (await node.get(path, headers={"Accept": "text/html"})).status == 404

    async def look(**headers: str) -> Any:
        return await node.get(
            "/api/v1/object", params={"id": object_id}, headers=headers
        )

    assert (await look()).status == 404
    own = await look(**_auth(token))
    assert own.status == 200
    assert (await own.json())["fields"]["audience"] == "followers"
    assert (await look(Authorization="Bearer nope")).status == 401
    assert (await node.get("/api/v1/object")).status == 400
    public = await (await _publish(node, token, "calls", CALL)).json()
    shown = await node.get("/api/v1/object", params={"id": public["id"]})
    assert shown.status == 200
    assert (await shown.json())["fields"] == CALL


async def test_openapi_is_generated_from_the_schemas(node: Any) -> None:
    doc = await (await node.get("/api/openapi.json")).json()
    assert doc["openapi"].startswith("3.1")
    post = doc["paths"]["/api/v1/calls"]["post"]
    ref = post["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    call = doc["components"]["schemas"][ref.rsplit("/", 1)[1]]
    schema_file = json.loads(
        (
            __import__("pathlib").Path(__file__).parents[2] / "schemas/call.schema.json"
        ).read_text()
    )
    assert call["required"] == schema_file["required"]
    assert call["properties"]["urgency"] == schema_file["properties"]["urgency"]
    assert (
        call["properties"]["title"]["$ref"] == "#/components/schemas/common/$defs/title"
    )
    assert "title" in doc["components"]["schemas"]["common"]["$defs"]


async def test_cli_token_and_publish_validate_with_the_same_schemas(
    node: Any, tmp_path: Any
) -> None:
    settings = node.app[appkeys.SETTINGS]
    code, out, err = await run_cli(
        settings, "token", "create", "--actor", "tenants", "--label", "phone"
    )
    assert code == 0, err
    secret = out.strip().splitlines()[-1]
    assert (await _publish(node, secret, "offers", OFFER)).status == 201
    token_id = out.split()[1]
    code, _out, err = await run_cli(settings, "token", "revoke", token_id)
    assert code == 0, err
    assert (await _publish(node, secret, "offers", OFFER)).status == 401

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(VISION | {"horizon": 15}))
    before = await _stored(node)
    code, _out, err = await run_cli(
        settings, "publish", "vision", "--as", "tenants", "--file", str(bad)
    )
    assert code == 1
    assert "horizon: must be one of 10, 20, 50" in err
    assert await _stored(node) == before
    good = tmp_path / "good.json"
    good.write_text(json.dumps(VISION))
    code, out, err = await run_cli(
        settings, "publish", "vision", "--as", "tenants", "--file", str(good)
    )
    assert code == 0, err
    assert out.strip().startswith(f"{_base(node)}/actors/tenants/objects/")


async def _vote(node: Any, peer: Peer, who: str, question: str, choice: str) -> None:
    note_id = f"{peer.actor_id(who)}/votes/{uuid.uuid4()}"
    create = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{note_id}/activity",
        "type": "Create",
        "actor": peer.actor_id(who),
        "to": [f"{_base(node)}/actors/tenants"],
        "object": {
            "id": note_id,
            "type": "Note",
            "name": choice,
            "inReplyTo": question,
            "attributedTo": peer.actor_id(who),
            "to": [f"{_base(node)}/actors/tenants"],
        },
    }
    body = json.dumps(create).encode()
    path = "/actors/tenants/inbox"
    resp = await node.post(
        path, data=body, headers=peer.sign_post(who, _base(node) + path, body)
    )
    assert resp.status == 202, await resp.text()


async def test_votes_from_mastodon_are_counted_once_per_actor_and_tallies_go_out(
    node: Any, token: str, peer: Peer
) -> None:
    peer.add("alice")
    peer.add("bob")
    await _follow(node, peer, "alice", "tenants")
    question = (await (await _publish(node, token, "proposals", PROPOSAL)).json())[
        "object"
    ]
    await _vote(node, peer, "alice", question["id"], "Yes")
    await until(lambda: len(peer.activities("Update")) == 1)
    await _vote(node, peer, "alice", question["id"], "No")  # a second vote: ignored
    await _vote(node, peer, "bob", question["id"], "No")
    await _vote(node, peer, "bob", question["id"], "Maybe")  # not an option
    await until(lambda: len(peer.activities("Update")) == 2)
    await asyncio.sleep(0.5)
    assert len(peer.activities("Update")) == 2
    tallied = peer.activities("Update")[-1]["object"]
    counts = {o["name"]: o["replies"]["totalItems"] for o in tallied["oneOf"]}
    assert counts == {"Yes": 1, "No": 1, "Later": 0}
    assert tallied["votersCount"] == 2
    assert "alice" not in json.dumps(tallied), "who voted is never published"
    # a tally is not an edit: peers would mark the proposal "edited" after every vote
    assert all("updated" not in u["object"] for u in peer.activities("Update"))
    pool = node.app[appkeys.DB]
    replies = await pool.fetchval("SELECT count(*) FROM remote_objects")
    assert replies == 0, "votes are not stored as replies"


async def test_late_votes_are_ignored(node: Any, token: str, peer: Peer) -> None:
    peer.add("alice")
    closed = PROPOSAL | {"endTime": "2020-01-01T00:00:00Z"}
    question = (await (await _publish(node, token, "proposals", closed)).json())[
        "object"
    ]
    await _vote(node, peer, "alice", question["id"], "Yes")
    pool = node.app[appkeys.DB]
    done = await db_value(
        pool, "SELECT count(*) FROM inbox WHERE processed_at IS NULL", 0
    )
    assert done == 0
    assert await pool.fetchval("SELECT count(*) FROM poll_votes") == 0


async def test_a_large_body_is_read_whole_and_an_oversized_one_is_413(
    node: Any, token: str
) -> None:
    async def chunks(data: bytes) -> Any:
        for i in range(0, len(data), 4096):
            yield data[i : i + 4096]
            await asyncio.sleep(0)

    # ~120 KiB of valid JSON, arriving in many chunks: read whole, then judged by the schema
    big = json.dumps(OFFER | {"body": "x" * 120_000}).encode()
    headers = _auth(token) | {"Content-Type": "application/json"}
    resp = await node.post("/api/v1/offers", data=chunks(big), headers=headers)
    assert resp.status == 422, await resp.text()
    assert (await resp.json())["fields"][0]["field"] == "body"
    huge = json.dumps(OFFER | {"body": "x" * 300_000}).encode()
    before = await _stored(node)
    resp = await node.post("/api/v1/offers", data=huge, headers=headers)
    assert resp.status == 413
    assert await _stored(node) == before


async def test_editing_a_proposal_keeps_its_tallies(
    node: Any, token: str, peer: Peer
) -> None:
    peer.add("alice")
    await _follow(node, peer, "alice", "tenants")
    question = (await (await _publish(node, token, "proposals", PROPOSAL)).json())[
        "object"
    ]
    await _vote(node, peer, "alice", question["id"], "Yes")
    await until(lambda: len(peer.activities("Update")) == 1)
    uid = question["id"].rsplit("/", 1)[1]
    edited = PROPOSAL | {"body": "Simple majority; abstentions do not count."}
    resp = await node.put(f"/api/v1/proposals/{uid}", json=edited, headers=_auth(token))
    assert resp.status == 200, await resp.text()
    await until(lambda: len(peer.activities("Update")) == 2)
    republished = peer.activities("Update")[-1]["object"]
    assert "abstentions" in republished["content"]
    counts = {o["name"]: o["replies"]["totalItems"] for o in republished["oneOf"]}
    assert counts == {"Yes": 1, "No": 0, "Later": 0}
    assert republished["votersCount"] == 1


async def test_a_poll_closes_at_its_end_time_with_one_final_update(
    node: Any, token: str, peer: Peer
) -> None:
    peer.add("alice")
    peer.add("bob")
    await _follow(node, peer, "alice", "tenants")
    end = datetime.now(UTC) + timedelta(seconds=3)
    soon = PROPOSAL | {"endTime": end.isoformat(timespec="seconds")}
    question = (await (await _publish(node, token, "proposals", soon)).json())["object"]
    assert "closed" not in question
    await _vote(node, peer, "alice", question["id"], "Later")
    await until(lambda: len(peer.activities("Update")) == 1)
    await until(lambda: len(peer.activities("Update")) == 2, timeout=20)
    final = peer.activities("Update")[-1]["object"]
    assert datetime.fromisoformat(final["closed"]) == end.replace(microsecond=0)
    assert final["votersCount"] == 1
    path = question["id"].removeprefix(_base(node))
    served = await (
        await node.get(path, headers=peer.sign_get("alice", question["id"]))
    ).json()
    assert served["closed"] == final["closed"]

    await _vote(node, peer, "bob", question["id"], "Yes")  # too late
    pool = node.app[appkeys.DB]
    await db_value(pool, "SELECT count(*) FROM inbox WHERE processed_at IS NULL", 0)
    assert await pool.fetchval("SELECT count(*) FROM poll_votes") == 1
    uid = question["id"].rsplit("/", 1)[1]
    resp = await node.put(f"/api/v1/proposals/{uid}", json=soon, headers=_auth(token))
    assert resp.status == 422
    assert (await resp.json())["fields"][0]["field"] == "endTime"
    await asyncio.sleep(0.5)
    assert len(peer.activities("Update")) == 2, "a poll closes once"


async def test_a_cluster_name_must_be_a_whole_hashtag(node: Any) -> None:
    settings = node.app[appkeys.SETTINGS]
    code, _out, err = await run_cli(settings, "cluster", "create", "digital-security")
    assert code != 0
    assert "no '-'" in err
    count = "SELECT count(*) FROM local_actors WHERE name = 'digital-security'"
    assert await node.app[appkeys.DB].fetchval(count) == 0
    code, _out, err = await run_cli(settings, "cluster", "create", "digital_security")
    assert code == 0, err


async def test_export_writes_the_groups_objects_and_followers(
    node: Any, token: str, peer: Peer, tmp_path: Any
) -> None:
    await _follow(node, peer, "alice", "tenants")
    call = await (await _publish(node, token, "calls", CALL)).json()
    offer = await (await _publish(node, token, "offers", OFFER)).json()
    uid = offer["id"].rsplit("/", 1)[1]
    assert (
        await node.delete(f"/api/v1/offers/{uid}", headers=_auth(token))
    ).status == 204
    settings = node.app[appkeys.SETTINGS]
    out_file = tmp_path / "tenants.json"
    code, out, err = await run_cli(
        settings, "export", "tenants", "--output", str(out_file)
    )
    assert code == 0, err
    assert "1 followers" in out
    assert out_file.stat().st_mode & 0o077 == 0, (
        "the follower list is readable by its owner only"
    )
    exported = json.loads(out_file.read_text())
    assert exported["actor"]["id"] == f"{_base(node)}/actors/tenants"
    assert exported["followers"]["items"] == [peer.actor_id("alice")]
    by_id = {o["id"]: o for o in exported["objects"]}
    assert by_id[call["id"]]["type"] == "Event"
    assert by_id[call["id"]]["urgency"] == "high"
    assert by_id[offer["id"]]["type"] == "Tombstone"
    types = [a["type"] for a in exported["outbox"]["orderedItems"]]
    assert types == ["Create", "Create", "Delete"]
    code, _out, err = await run_cli(settings, "export", "nobody")
    assert code == 1
    assert "no local actor 'nobody'" in err


async def test_openapi_describes_every_api_route(node: Any) -> None:
    doc = await (await node.get("/api/openapi.json")).json()
    described = {
        (method.upper(), path) for path, item in doc["paths"].items() for method in item
    }
    served = {
        (route.method, route.resource.canonical.replace("{collection}", kind))
        for route in node.app.router.routes()
        if route.resource is not None
        and route.resource.canonical.startswith("/api/v1/")
        and route.method != "HEAD"
        for kind in (
            ["calls", "visions", "offers", "proposals"]
            if "{collection}" in route.resource.canonical
            else [""]
        )
    }
    assert served <= described, served - described
