"""When a group edits or deletes an object that confederation replicas relayed, the followers
of those replicas hear of it: the author's Update and Delete reach the followers of the
replicas on its own node, and replicas elsewhere take their boosts back (Undo), a replica
that hears of the deletion only from a member after asking the object's origin."""

from __future__ import annotations

import uuid
from pathlib import Path

import aiohttp
import pytest

from tests.conftest import until
from tests.integration.nodes import Nodes
from tests.integration.test_confederations import (
    _post_as,
    boosts,
    charter_file,
    feed,
    follow,
    three_nodes,
    until_following,
    until_processed,
    wait_members,
)
from tests.integration.test_pages import call_in
from tests.peer import Peer

pytestmark = [pytest.mark.db, pytest.mark.integration]


def undone(reader: Peer, object_id: str) -> list[str]:
    """Who took back a boost of `object_id` from the reader."""
    return [
        a["actor"]
        for a in reader.activities("Undo")
        if a["object"].get("type") == "Announce"
        and a["object"].get("object") == object_id
    ]


def received(reader: Peer, type_: str, object_id: str) -> list[str]:
    return [
        a["actor"]
        for a in reader.activities(type_)
        if a["object"].get("id") == object_id
    ]


async def test_edits_and_deletions_reach_the_followers_of_every_replica(
    nodes: Nodes, reader: Peer, tmp_path: Path
) -> None:
    a, b, c = await three_nodes(nodes)
    await a.found("cascadia", charter_file(tmp_path, "open"))
    await c.ok("confederation", "join", f"cascadia@{a.host}")
    await wait_members(a, "cascadia", {a.actor("node"), c.actor("node")})
    # turtle_island on B counts cascadia (its replica on A) as a member, not C: B hears
    # of C's objects only through A
    await b.found("turtle_island", charter_file(tmp_path, "open", scope="nation"))
    await a.ok("confederation", "join", f"turtle_island@{b.host}", "--as", "cascadia")
    await wait_members(b, "turtle_island", {b.actor("node"), a.actor("cascadia")})
    await until_following(b, a.actor("cascadia"))
    for node, replica in ((c, "cascadia"), (a, "cascadia"), (b, "turtle_island")):
        await follow(reader, node, replica)

    await c.group("tenants")
    call = await c.publish("tenants", "calls", call_in(3, clusters=[]))
    everyone = [c.actor("cascadia"), a.actor("cascadia"), b.actor("turtle_island")]
    await until(
        lambda: sorted(boosts(reader, call["id"])) == sorted(everyone),
        timeout=20,
        what="three boosts",
    )

    # a member's Undo proves nothing while the object is still at its origin
    undo_id = f"{a.actor('cascadia')}/announces/{uuid.uuid4()}/undo"
    await _post_as(
        a,
        "cascadia",
        f"{b.url}/inbox",
        {
            "id": undo_id,
            "type": "Undo",
            "actor": a.actor("cascadia"),
            "object": {
                "id": f"{a.actor('cascadia')}/announces/{uuid.uuid4()}",
                "type": "Announce",
                "actor": a.actor("cascadia"),
                "object": call["id"],
            },
        },
    )
    await until_processed(b, undo_id)
    assert await feed(b, "turtle_island") == [call["id"]]
    assert undone(reader, call["id"]) == []

    # an edit: the author's Update reaches the followers of the replica on its node
    status, _body = await c.api(
        "PUT",
        f"/api/v1/calls/{call['id'].rsplit('/', 1)[1]}",
        "tenants",
        json=call_in(
            3, clusters=[], title="Rent strike assembly (moved to the library)"
        ),
    )
    assert status == 200
    await until(lambda: received(reader, "Update", call["id"]), what="the Update")
    assert received(reader, "Update", call["id"]) == [c.actor("tenants")]
    # A applies it when its own copy arrives (it goes to A and to the reader at once)
    await until(
        lambda: a.db.fetchval(
            "SELECT body->>'name' = 'Rent strike assembly (moved to the library)' "
            "FROM remote_objects WHERE id = $1",
            call["id"],
        ),
        timeout=20,
        what="the Update applied on A",
    )

    # a deletion: the author's Delete, and each replica elsewhere takes its boost back,
    # B after asking C (it heard only cascadia's Undo)
    async with (
        aiohttp.ClientSession() as session,
        session.delete(
            f"{c.url}/api/v1/calls/{call['id'].rsplit('/', 1)[1]}",
            headers={"Authorization": f"Bearer {c.tokens['tenants']}"},
        ) as resp,
    ):
        assert resp.status == 204
    await until(
        lambda: len(undone(reader, call["id"])) == 2, timeout=20, what="two Undos"
    )
    assert received(reader, "Delete", call["id"]) == [c.actor("tenants")]
    assert sorted(undone(reader, call["id"])) == sorted(
        [a.actor("cascadia"), b.actor("turtle_island")]
    )
    assert await feed(a, "cascadia") == []
    assert await feed(b, "turtle_island") == []
    assert await b.db.fetchval(
        "SELECT deleted_at IS NOT NULL FROM remote_objects WHERE id = $1", call["id"]
    )
