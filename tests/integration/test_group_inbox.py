"""The group inbox and replies on pages, through real signed HTTP from a Mastodon-like peer:
what comes back is filed, read, answered and hidden; only the group's token sees it."""

from __future__ import annotations

import json
import uuid
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


@pytest.fixture
async def node(make_client: Any) -> Any:
    client = await make_client()
    pool = client.app[appkeys.DB]
    client.tokens = {}
    for name, title in (("tenants", "Tenants Union"), ("riders", "Riders")):
        group = await create_actor(pool, kind="group", name=name, display_name=title)
        _id, client.tokens[name] = await tokens.create(
            pool, local_actor_id=group.id, label="t"
        )
    for cluster in ("housing", "transport"):
        await create_actor(pool, kind="cluster", name=cluster)
    return client


def _base(node: Any) -> str:
    return str(node.app[appkeys.SETTINGS].url)


async def _api(node: Any, method: str, path: str, group: str, **kw: Any) -> Any:
    resp = await node.request(
        method, path, headers={"Authorization": f"Bearer {node.tokens[group]}"}, **kw
    )
    return resp.status, await resp.json()


async def _send(node: Any, peer: Peer, obj: dict[str, Any], as_: str = "alice") -> None:
    activity = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{obj['id']}/activity",
        "type": "Create",
        "actor": peer.actor_id(as_),
        "object": obj,
    }
    body = json.dumps(activity).encode()
    resp = await node.post(
        "/inbox", data=body, headers=peer.sign_post(as_, _base(node) + "/inbox", body)
    )
    assert resp.status == 202, await resp.text()


def _note(peer: Peer, text: str, *, as_: str = "alice", **extra: Any) -> dict[str, Any]:
    return {
        "id": f"{peer.actor_id(as_)}/statuses/{uuid.uuid4()}",
        "type": "Note",
        "attributedTo": peer.actor_id(as_),
        "content": text,
        "to": [PUBLIC],
        "cc": [f"{peer.actor_id(as_)}/followers"],
        **extra,
    }


async def _settled(node: Any) -> None:
    pool = node.app[appkeys.DB]
    await until(
        lambda: pool.fetchval(
            "SELECT count(*) = 0 FROM inbox WHERE processed_at IS NULL"
        ),
        what="inbox processed",
    )


async def test_replies_mentions_and_direct_messages_reach_the_group_inbox(
    node: Any, peer: Peer
) -> None:
    peer.add("bob", extra={"name": "Bob <b>Builder</b>"})
    status, made = await _api(node, "POST", "/api/v1/calls", "tenants", json=CALL)
    assert status == 201, made
    call = made["id"]
    tenants = f"{_base(node)}/actors/tenants"
    mention = {"type": "Mention", "href": tenants, "name": "@tenants"}
    reply = _note(
        peer, "<p>I'll bring <script>x()</script>ten people</p>", inReplyTo=call
    )
    followers_only = _note(
        peer, "<p>just for my followers</p>", as_="bob", inReplyTo=call, to=[], cc=[]
    )
    followers_only["to"] = [f"{peer.actor_id('bob')}/followers"]
    mentioned = _note(peer, "<p>hey @tenants look</p>", tag=[mention])
    direct = _note(
        peer, "<p>can we talk privately?</p>", to=[tenants], cc=[], tag=[mention]
    )
    elsewhere = _note(peer, "<p>nothing to do with you</p>")
    await _send(node, peer, reply)
    await _send(node, peer, followers_only, as_="bob")
    await _send(node, peer, mentioned)
    await _send(node, peer, direct)
    await _send(node, peer, elsewhere)
    await _settled(node)

    status, inbox = await _api(node, "GET", "/api/v1/inbox", "tenants")
    assert status == 200, inbox
    assert inbox["unread"] == 4
    by_id = {i["object"]["id"]: i for i in inbox["items"]}
    assert set(by_id) == {
        reply["id"],
        followers_only["id"],
        mentioned["id"],
        direct["id"],
    }
    assert by_id[reply["id"]]["kind"] == "reply"
    assert by_id[reply["id"]]["about"] == {"id": call, "title": CALL["title"]}
    assert "<script>" not in by_id[reply["id"]]["object"]["content"]
    assert by_id[followers_only["id"]]["kind"] == "reply"
    assert by_id[followers_only["id"]]["actor"]["name"] == "Bob <b>Builder</b>"
    assert by_id[mentioned["id"]]["kind"] == "mention"
    assert by_id[direct["id"]]["kind"] == "direct"
    assert (
        by_id[direct["id"]]["actor"]["handle"] == f"@alice@{peer.base.split('//')[1]}"
    )
    # newest first among the unread
    assert next(i["object"]["id"] for i in inbox["items"]) == direct["id"]

    # filters: by kind and by object
    _s, replies = await _api(node, "GET", "/api/v1/inbox?kind=reply", "tenants")
    assert {i["object"]["id"] for i in replies["items"]} == {
        reply["id"],
        followers_only["id"],
    }
    _s, about = await _api(
        node, "GET", "/api/v1/inbox", "tenants", params={"about": call}
    )
    assert len(about["items"]) == 2

    # read: the item goes after the unread ones
    first = by_id[direct["id"]]["id"]
    status, done = await _api(node, "POST", f"/api/v1/inbox/{first}/read", "tenants")
    assert (status, done) == (200, {"id": first, "read": True})
    _s, inbox = await _api(node, "GET", "/api/v1/inbox", "tenants")
    assert inbox["unread"] == 3
    assert inbox["items"][-1]["id"] == first
    assert inbox["items"][-1]["read"] is True

    # another group sees none of it, and cannot touch it
    _s, other = await _api(node, "GET", "/api/v1/inbox", "riders")
    assert other["items"] == []
    assert other["unread"] == 0
    for action in ("read", "hide"):
        status, refused = await _api(
            node, "POST", f"/api/v1/inbox/{first}/{action}", "riders"
        )
        assert status == 404
        assert refused["error"] == "not_found"
    resp = await node.get("/api/v1/inbox")
    assert resp.status == 401


async def test_an_answer_goes_out_public_or_direct_and_bad_input_stores_nothing(
    node: Any, peer: Peer
) -> None:
    _s, made = await _api(node, "POST", "/api/v1/calls", "tenants", json=CALL)
    reply = _note(peer, "<p>what should I bring?</p>", inReplyTo=made["id"])
    await _send(node, peer, reply)
    await _settled(node)
    _s, inbox = await _api(node, "GET", "/api/v1/inbox", "tenants")
    item = inbox["items"][0]["id"]
    pool = node.app[appkeys.DB]
    before = await pool.fetchval("SELECT count(*) FROM objects")
    for bad, field in (
        ({"text": ""}, "text"),
        ({"text": "x" * 5001}, "text"),
        ({"text": "hi", "visibility": "followers"}, "visibility"),
        ({"text": "hi", "to": "someone@else"}, "to"),
        (["hi"], ""),
    ):
        status, error = await _api(
            node, "POST", f"/api/v1/inbox/{item}/reply", "tenants", json=bad
        )
        assert status == 422, (bad, error)
        assert error["error"] == "invalid_input"
        assert field in [f["field"] for f in error["fields"]]
    status, error = await _api(
        node, "POST", "/api/v1/inbox/99999/reply", "tenants", json={"text": "hi"}
    )
    assert status == 404
    status, error = await _api(node, "GET", "/api/v1/inbox?kind=spam", "tenants")
    assert (status, error["error"]) == (400, "bad_request")
    assert await pool.fetchval("SELECT count(*) FROM objects") == before

    alice = peer.actor_id("alice")
    status, public = await _api(
        node,
        "POST",
        f"/api/v1/inbox/{item}/reply",
        "tenants",
        json={"text": "Signs and water."},
    )
    assert status == 201, public
    status, direct = await _api(
        node,
        "POST",
        f"/api/v1/inbox/{item}/reply",
        "tenants",
        json={"text": "Call me.", "visibility": "direct"},
    )
    assert status == 201, direct

    def creates() -> dict[str, Any]:
        return {c["object"]["id"]: c for c in peer.activities("Create")}

    await until(lambda: len(creates()) == 2, what="both answers delivered to alice")
    sent = creates()
    out = sent[public["id"]]["object"]
    assert out["inReplyTo"] == reply["id"]
    assert out["to"] == [PUBLIC]
    assert alice in out["cc"]
    assert f"{_base(node)}/actors/tenants/followers" in out["cc"]
    assert {
        "type": "Mention",
        "href": alice,
        "name": f"@alice@{peer.base.split('//')[1]}",
    } in out["tag"]
    assert "Signs and water." in out["content"]
    private = sent[direct["id"]]["object"]
    assert private["to"] == [alice]
    assert private["cc"] == []
    # answering marks the item read
    _s, inbox = await _api(node, "GET", "/api/v1/inbox", "tenants")
    assert inbox["unread"] == 0
    # the direct answer is served to alice (signed) only
    path = direct["id"].removeprefix(_base(node))
    assert (
        await node.get(path, headers={"Accept": "application/activity+json"})
    ).status == 404
    signed = await node.get(path, headers=peer.sign_get("alice", direct["id"]))
    assert signed.status == 200


async def test_public_replies_show_on_the_page_until_hidden(
    node: Any, peer: Peer
) -> None:
    peer.add("bob", extra={"name": "Bob Builder"})
    _s, made = await _api(node, "POST", "/api/v1/calls", "tenants", json=CALL)
    call = made["id"]
    shown = _note(peer, "<p>Count me in <script>alert(1)</script></p>", inReplyTo=call)
    hidden = _note(peer, "<p>buy cheap watches</p>", as_="bob", inReplyTo=call)
    private = _note(peer, "<p>followers only reply</p>", inReplyTo=call)
    private["to"], private["cc"] = [f"{peer.actor_id('alice')}/followers"], []
    for obj, who in ((shown, "alice"), (hidden, "bob"), (private, "alice")):
        await _send(node, peer, obj, as_=who)
    await _settled(node)
    path = call.removeprefix(_base(node))

    async def page() -> str:
        resp = await node.get(path, headers={"Accept": "text/html"})
        assert resp.status == 200
        return str(await resp.text())

    html = await page()
    assert "Count me in" in html
    assert "buy cheap watches" in html
    assert "<script>alert(1)" not in html
    assert "Bob Builder" in html
    assert f'href="{shown["id"]}"' in html
    assert "followers only reply" not in html
    assert html.index("Count me in") < html.index("buy cheap watches")

    _s, inbox = await _api(node, "GET", "/api/v1/inbox?kind=reply", "tenants")
    spam = next(i["id"] for i in inbox["items"] if i["object"]["id"] == hidden["id"])
    status, done = await _api(node, "POST", f"/api/v1/inbox/{spam}/hide", "tenants")
    assert (status, done) == (200, {"id": spam, "hidden": True})
    html = await page()
    assert "Count me in" in html
    assert "buy cheap watches" not in html
    doc = await (await node.get(path, headers=peer.sign_get("alice", call))).json()
    assert doc["replies"]["totalItems"] == 1
    assert doc["replies"]["first"]["items"] == [shown["id"]]

    status, _done = await _api(node, "POST", f"/api/v1/inbox/{spam}/unhide", "tenants")
    assert status == 200
    assert "buy cheap watches" in await page()


async def test_the_admin_inbox_lists_marks_read_answers_and_hides(
    node: Any, peer: Peer
) -> None:
    from tests.integration.test_admin_ui import csrf_of

    _s, made = await _api(node, "POST", "/api/v1/calls", "tenants", json=CALL)
    reply = _note(peer, "<p>Is there step-free access?</p>", inReplyTo=made["id"])
    await _send(node, peer, reply)
    await _settled(node)
    resp = await node.get("/admin/inbox", allow_redirects=False)
    assert resp.status == 303  # signed out
    resp = await node.post(
        "/admin/login", data={"token": node.tokens["tenants"]}, allow_redirects=False
    )
    assert resp.status == 303
    html = await (await node.get("/admin/inbox")).text()
    assert "Is there step-free access?" in html
    assert "1 unread" in html
    assert CALL["title"] in html
    csrf = csrf_of(html)
    _s, inbox = await _api(node, "GET", "/api/v1/inbox", "tenants")
    item = inbox["items"][0]["id"]

    # a form without the CSRF token changes nothing
    resp = await node.post(f"/admin/inbox/{item}/read", data={})
    assert resp.status == 403
    resp = await node.post(f"/admin/inbox/{item}/read", data={"csrf": csrf})
    assert resp.status == 200
    assert "0 unread" in await resp.text()

    resp = await node.post(
        f"/admin/inbox/{item}/reply",
        data={"csrf": csrf, "text": "", "visibility": "direct"},
    )
    assert resp.status == 422
    assert "text: is required" in await resp.text()
    resp = await node.post(
        f"/admin/inbox/{item}/reply",
        data={"csrf": csrf, "text": "Yes, by the north door.", "visibility": "direct"},
    )
    assert resp.status == 200
    await until(lambda: peer.activities("Create"), what="the answer delivered")
    [create] = peer.activities("Create")
    assert create["object"]["to"] == [peer.actor_id("alice")]
    assert "north door" in create["object"]["content"]

    resp = await node.post(
        f"/admin/inbox/{item}/hide", data={"csrf": csrf, "hidden": "1"}
    )
    assert "Show on the page" in await resp.text()
    page = await node.get(
        made["id"].removeprefix(_base(node)), headers={"Accept": "text/html"}
    )
    assert "step-free" not in await page.text()
