"""Replies, edits, deletes, likes, announces, actor deletion and Move, through real signed HTTP."""

import asyncio
import json
import uuid
from typing import Any

import pytest
from aiohttp import web

from node.runtime import appkeys
from node.services.actors import create_actor
from node.services.publish import post_note
from tests.conftest import run_cli, until
from tests.peer import Peer

pytestmark = [pytest.mark.db, pytest.mark.integration]
AP = "application/activity+json"


@pytest.fixture
async def node(make_client: Any) -> Any:
    client = await make_client()
    await create_actor(client.app[appkeys.DB], kind="group", name="housing")
    return client


def _base(node: Any) -> str:
    return str(node.app[appkeys.SETTINGS].url)


async def _send(
    node: Any, peer: Peer, activity: dict[str, Any], as_: str = "alice"
) -> None:
    body = json.dumps(activity).encode()
    resp = await node.post(
        "/inbox", data=body, headers=peer.sign_post(as_, _base(node) + "/inbox", body)
    )
    assert resp.status == 202, await resp.text()


async def _settled(node: Any) -> None:
    pool = node.app[appkeys.DB]
    for _ in range(200):
        if (
            await pool.fetchval("SELECT count(*) FROM inbox WHERE processed_at IS NULL")
            == 0
        ):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("inbox not processed")


async def _object(node: Any, peer: Peer, object_id: str) -> Any:
    path = object_id.removeprefix(_base(node))
    return await node.get(path, headers=peer.sign_get("alice", object_id))


def _act(peer: Peer, type_: str, obj: Any, as_: str = "alice") -> dict[str, Any]:
    return {
        "id": f"{peer.actor_id(as_)}#{type_.lower()}/{uuid.uuid4()}",
        "type": type_,
        "actor": peer.actor_id(as_),
        "object": obj,
    }


def _reply(
    peer: Peer, in_reply_to: str, text: str = "<p>count me in</p>"
) -> dict[str, Any]:
    return {
        "id": f"{peer.actor_id('alice')}/notes/{uuid.uuid4()}",
        "type": "Note",
        "attributedTo": peer.actor_id("alice"),
        "inReplyTo": in_reply_to,
        "content": text,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
    }


async def test_reply_edit_delete_like_and_announce_of_a_local_note(
    node: Any, peer: Peer
) -> None:
    peer.add("mallory")
    create = await post_note(
        node.app[appkeys.DB],
        base_url=_base(node),
        actor_name="housing",
        text="Meeting Thursday.",
    )
    note_id = create["object"]["id"]
    reply = _reply(peer, note_id)
    await _send(node, peer, _act(peer, "Create", reply))
    await _send(node, peer, _act(peer, "Like", note_id))
    await _send(
        node, peer, _act(peer, "Like", note_id)
    )  # a second Like by the same actor
    await _send(node, peer, _act(peer, "Announce", note_id))
    await _settled(node)
    doc = await (await _object(node, peer, note_id)).json()
    assert doc["replies"]["totalItems"] == 1
    assert doc["replies"]["first"]["items"] == [reply["id"]]
    assert doc["likes"]["totalItems"] == 1
    assert doc["shares"]["totalItems"] == 1

    edited = {**reply, "content": "<p>count me in, with two friends</p>"}
    await _send(node, peer, _act(peer, "Update", edited))
    forged = {**reply, "content": "<p>forged</p>"}
    await _send(node, peer, _act(peer, "Update", forged, as_="mallory"), as_="mallory")
    await _settled(node)
    body = await node.app[appkeys.DB].fetchval(
        "SELECT body FROM remote_objects WHERE id = $1", reply["id"]
    )
    assert body["content"] == "<p>count me in, with two friends</p>"

    await _send(
        node, peer, _act(peer, "Delete", reply["id"], as_="mallory"), as_="mallory"
    )
    await _settled(node)
    assert (await (await _object(node, peer, note_id)).json())["replies"][
        "totalItems"
    ] == 1, "only the author deletes"
    await _send(
        node, peer, _act(peer, "Delete", {"id": reply["id"], "type": "Tombstone"})
    )
    like = _act(peer, "Like", note_id)
    await _send(
        node,
        peer,
        _act(
            peer,
            "Undo",
            {
                "id": like["id"],
                "type": "Like",
                "actor": peer.actor_id("alice"),
                "object": note_id,
            },
        ),
    )
    await _settled(node)
    doc = await (await _object(node, peer, note_id)).json()
    assert doc["replies"]["totalItems"] == 0
    assert doc["likes"]["totalItems"] == 0
    stored = await node.app[appkeys.DB].fetchrow(
        "SELECT body, deleted_at FROM remote_objects WHERE id = $1", reply["id"]
    )
    assert stored["body"] == {"id": reply["id"], "type": "Tombstone"}
    assert stored["deleted_at"] is not None


async def test_unrelated_posts_are_not_stored(node: Any, peer: Peer) -> None:
    await _send(
        node,
        peer,
        _act(peer, "Create", _reply(peer, "https://elsewhere.example/notes/1")),
    )
    await _settled(node)
    assert (
        await node.app[appkeys.DB].fetchval("SELECT count(*) FROM remote_objects") == 0
    )


async def test_embedded_object_of_someone_else_is_not_trusted(
    node: Any, peer: Peer
) -> None:
    peer.add("mallory")
    create = await post_note(
        node.app[appkeys.DB], base_url=_base(node), actor_name="housing", text="Hello"
    )
    fake = {
        **_reply(peer, create["object"]["id"]),
        "id": f"{peer.actor_id('alice')}/notes/forged",
        "attributedTo": peer.actor_id("alice"),
    }
    await _send(node, peer, _act(peer, "Create", fake, as_="mallory"), as_="mallory")
    await _settled(node)
    assert (
        await node.app[appkeys.DB].fetchval("SELECT count(*) FROM remote_objects") == 0
    )


async def test_unsigned_object_fetch_is_refused_under_authorized_fetch(
    node: Any,
) -> None:
    create = await post_note(
        node.app[appkeys.DB], base_url=_base(node), actor_name="housing", text="Hello"
    )
    resp = await node.get(
        create["object"]["id"].removeprefix(_base(node)), headers={"Accept": AP}
    )
    assert resp.status == 401


async def test_move_of_a_follower_follows_the_new_account_when_confirmed(
    node: Any, peer: Peer
) -> None:
    follow = _act(peer, "Follow", f"{_base(node)}/actors/housing")
    await _send(node, peer, follow)
    await _settled(node)
    pool = node.app[appkeys.DB]
    peer.add("alice2", extra={"alsoKnownAs": [peer.actor_id("alice")]})
    peer.add("stranger")
    await _send(
        node,
        peer,
        {
            **_act(peer, "Move", peer.actor_id("alice")),
            "target": peer.actor_id("stranger"),
        },
    )
    await _settled(node)
    assert await pool.fetchval("SELECT follower FROM followers") == peer.actor_id(
        "alice"
    ), "unconfirmed move refused"
    await _send(
        node,
        peer,
        {
            **_act(peer, "Move", peer.actor_id("alice")),
            "target": peer.actor_id("alice2"),
        },
    )
    await _settled(node)
    assert await pool.fetchval("SELECT follower FROM followers") == peer.actor_id(
        "alice2"
    )


async def test_deleted_actor_loses_follows_and_content(node: Any, peer: Peer) -> None:
    create = await post_note(
        node.app[appkeys.DB], base_url=_base(node), actor_name="housing", text="Hello"
    )
    await _send(node, peer, _act(peer, "Follow", f"{_base(node)}/actors/housing"))
    await _send(node, peer, _act(peer, "Create", _reply(peer, create["object"]["id"])))
    await _settled(node)
    await _send(node, peer, _act(peer, "Delete", peer.actor_id("alice")))
    await _settled(node)
    pool = node.app[appkeys.DB]
    assert await pool.fetchval("SELECT count(*) FROM followers") == 0
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM remote_objects WHERE deleted_at IS NULL"
        )
        == 0
    )


async def test_unknown_activity_types_are_accepted_and_ignored(
    node: Any, peer: Peer
) -> None:
    await _send(node, peer, _act(peer, "Flag", f"{_base(node)}/actors/housing"))
    await _settled(node)
    assert (
        await node.app[appkeys.DB].fetchval(
            "SELECT count(*) FROM inbox WHERE processed_at IS NOT NULL"
        )
        == 1
    )


async def _attempts(node: Any, activity_id: str) -> Any:
    return await node.app[appkeys.DB].fetchrow(
        "SELECT attempts, processed_at, retry_at > now() + interval '20 seconds' AS later FROM inbox WHERE activity_id = $1",
        activity_id,
    )


async def test_a_failed_activity_waits_before_it_is_tried_again(
    node: Any, peer: Peer
) -> None:
    await _send(node, peer, _act(peer, "Follow", f"{_base(node)}/actors/housing"))
    await _settled(node)
    move = {
        **_act(peer, "Move", peer.actor_id("alice")),
        "target": peer.actor_id("ghost"),  # not there yet: fetching it fails
    }
    await _send(node, peer, move)
    for _ in range(100):
        if (row := await _attempts(node, move["id"]))["attempts"]:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(1.0)  # processors keep polling; the row is not due for 30 s
    row = await _attempts(node, move["id"])
    assert (row["attempts"], row["processed_at"], row["later"]) == (1, None, True)

    peer.add("ghost", extra={"alsoKnownAs": [peer.actor_id("alice")]})
    pool = node.app[appkeys.DB]
    await pool.execute(
        "UPDATE inbox SET retry_at = now() WHERE activity_id = $1", move["id"]
    )
    node.app[appkeys.INBOX_WAKEUP].set()
    await _settled(node)
    assert await pool.fetchval("SELECT follower FROM followers") == peer.actor_id(
        "ghost"
    )


async def test_a_slow_activity_holds_up_its_own_actor_only(
    node: Any, peer: Peer, aiohttp_server: Any
) -> None:
    gate = asyncio.Event()

    async def slow_actor(_request: web.Request) -> web.Response:
        await gate.wait()
        return web.json_response({"error": "gone"}, status=404)

    app = web.Application()
    app.router.add_get("/users/slow", slow_actor)
    slow = await aiohttp_server(app, host="127.0.0.1")
    peer.add("bob")
    move = {
        **_act(peer, "Move", peer.actor_id("bob"), as_="bob"),
        "target": str(slow.make_url("/users/slow")),
    }
    bob_follow = _act(peer, "Follow", f"{_base(node)}/actors/housing", as_="bob")
    await _send(node, peer, move, as_="bob")
    await _send(node, peer, bob_follow, as_="bob")
    await _send(node, peer, _act(peer, "Follow", f"{_base(node)}/actors/housing"))
    pool = node.app[appkeys.DB]
    followers: list[str] = []
    for _ in range(
        100
    ):  # alice's Follow is applied while bob's Move waits on its fetch
        followers = [r[0] for r in await pool.fetch("SELECT follower FROM followers")]
        if followers:
            break
        await asyncio.sleep(0.05)
    assert followers == [peer.actor_id("alice")]
    assert not gate.is_set()
    assert (await _attempts(node, bob_follow["id"]))["processed_at"] is None, (
        "bob's Follow waits for bob's Move"
    )
    gate.set()
    await _settled_except(node, move["id"])
    assert sorted(r[0] for r in await pool.fetch("SELECT follower FROM followers")) == [
        peer.actor_id("alice"),
        peer.actor_id("bob"),
    ]
    assert (await _attempts(node, move["id"]))["attempts"] == 1


async def _settled_except(node: Any, failing_id: str) -> None:
    pool = node.app[appkeys.DB]
    for _ in range(200):
        if not await pool.fetchval(
            "SELECT count(*) FROM inbox WHERE processed_at IS NULL AND activity_id <> $1",
            failing_id,
        ):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("inbox not processed")


async def test_given_up_activity_is_listed_and_processed_again_from_the_cli(
    node: Any, peer: Peer
) -> None:
    await _send(node, peer, _act(peer, "Follow", f"{_base(node)}/actors/housing"))
    move = {**_act(peer, "Move", peer.actor_id("alice")), "target": peer.actor_id("x")}
    await _send(node, peer, move)
    pool, settings = node.app[appkeys.DB], node.app[appkeys.SETTINGS]
    await until(lambda: pool.fetchval("SELECT attempts FROM inbox WHERE type = 'Move'"))
    await pool.execute("UPDATE inbox SET attempts = 5 WHERE type = 'Move'")  # gave up
    code, out, _err = await run_cli(settings, "inbox", "failed")
    row_id = await pool.fetchval("SELECT id FROM inbox WHERE type = 'Move'")
    assert code == 0
    assert out.startswith(f"{row_id}\tMove\t{peer.actor_id('alice')}\t")
    assert "5 attempt(s), given up" in out

    code, _out, err = await run_cli(settings, "inbox", "retry", str(row_id), "999999")
    node_line, error_line = err.strip().splitlines()  # which node, then the one error
    assert node_line.startswith("movement-node: node ")
    assert (code, error_line) == (
        1,
        "movement-node: error: no failed activity with id 999999",
    )
    assert await pool.fetchval("SELECT attempts FROM inbox WHERE type = 'Move'") == 5

    peer.add("x", extra={"alsoKnownAs": [peer.actor_id("alice")]})
    code, out, _err = await run_cli(settings, "inbox", "retry", str(row_id))
    assert (code, out) == (0, "1 activity(ies) to be processed again\n")
    await _settled(node)  # due at once, not on the 30 s schedule
    assert await pool.fetchval("SELECT follower FROM followers") == peer.actor_id("x")
