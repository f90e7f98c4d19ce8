"""Confederations across several real nodes on loopback: founding, joining by vote,
aggregation (each object announced once per replica), losing the founder, catching up
after being offline, nesting, forged votes, and capability matching."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import free_port, until
from tests.integration.nodes import Node, Nodes
from tests.integration.test_movement import CALL, OFFER
from tests.peer import Peer

pytestmark = [pytest.mark.db, pytest.mark.integration]
READER_HOST = "127.0.0.9"


def charter_file(tmp_path: Path, membership: str, **extra: str) -> str:
    path = tmp_path / f"charter-{uuid.uuid4().hex[:6]}.toml"
    lines = [
        'title = "Cascadia"',
        'summary = "The movements of the Cascadia bioregion."',
        'place = "Cascadia"',
        'scope = "bioregion"',
        f'membership = "{membership}"',
        'quorum = "majority"',
        *(f'{k} = "{v}"' for k, v in extra.items()),
    ]
    path.write_text("\n".join(lines) + "\n")
    return str(path)


@pytest.fixture
async def nodes(pg_dsn: str, settings_for: Any, tmp_path: Path) -> AsyncIterator[Nodes]:
    made = Nodes(pg_dsn, settings_for, tmp_path)
    try:
        yield made
    finally:
        await made.close()


@pytest.fixture
async def reader(aiohttp_server: Any) -> Peer:
    """A Mastodon-like reader on its own host who follows confederation replicas."""
    port = free_port(READER_HOST)
    peer = Peer(f"http://{READER_HOST}:{port}")
    peer.add("reader")
    await aiohttp_server(peer.app(), host=READER_HOST, port=port)
    return peer


async def follow(reader: Peer, node: Node, actor: str) -> None:
    import aiohttp

    target = node.actor(actor)
    body = json.dumps(
        {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{reader.actor_id('reader')}#follows/{uuid.uuid4()}",
            "type": "Follow",
            "actor": reader.actor_id("reader"),
            "object": target,
        }
    ).encode()
    accepted = len(reader.activities("Accept"))
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{target}/inbox",
            data=body,
            headers=reader.sign_post("reader", f"{target}/inbox", body),
        ) as resp,
    ):
        assert resp.status == 202, await resp.text()
    await until(lambda: len(reader.activities("Accept")) > accepted)


def boosts(reader: Peer, object_id: str) -> list[str]:
    """Who boosted `object_id` to the reader (plain Announce of the object), one per Announce."""
    return [
        a["actor"]
        for a in reader.activities("Announce")
        if a.get("object") == object_id
    ]


async def state(node: Node, name: str) -> Any:
    """The node's own fold of the confederation's records (what `show` prints)."""
    from node.services.confederations import state_of
    from node.storage import confederations as cstore

    conf = await cstore.by_name(node.db, name)
    assert conf is not None, f"{node.name} has no {name}"
    return await state_of(node.db, conf)


async def members_of(node: Node, name: str) -> list[str]:
    from node.storage import confederations as cstore

    conf = await cstore.by_name(node.db, name)
    return [] if conf is None else await cstore.members(node.db, conf.id)


async def wait_members(node: Node, name: str, expected: set[str]) -> None:
    async def check() -> bool:
        return set(await members_of(node, name)) == expected

    for _ in range(200):
        if await check():
            return
        await _sleep(0.05)
    assert set(await members_of(node, name)) == expected


async def _sleep(seconds: float) -> None:
    import asyncio

    await asyncio.sleep(seconds)


async def wait_proposal(node: Node, name: str, subject: str) -> str:
    for _ in range(200):
        found = [
            p.id
            for p in (await state(node, name)).proposals.values()
            if p.subject == subject and p.state == "open"
        ]
        if found:
            return str(found[0])
        await _sleep(0.05)
    raise AssertionError(f"no open proposal about {subject} on {node.name}")


async def admit_by_vote(
    applicant: Node, through: Node, voters: list[Node], everyone: list[Node]
) -> None:
    """`applicant` asks `through`'s replica; each voter votes yes; all converge."""
    await applicant.ok("confederation", "join", f"cascadia@{through.host}")
    subject = applicant.actor("node")
    for voter in voters:
        proposal = await wait_proposal(voter, "cascadia", subject)
        await voter.ok("confederation", "vote", "cascadia", proposal, "yes")
    expected = set(await members_of(voters[0], "cascadia"))
    assert subject in expected
    for node in [*everyone, applicant]:
        await wait_members(node, "cascadia", expected)


async def test_three_nodes_vote_members_in_and_survive_losing_the_founder(
    nodes: Nodes, reader: Peer, tmp_path: Path
) -> None:
    a = await nodes.start("a", "127.0.0.2")
    b = await nodes.start("b", "127.0.0.3")
    c = await nodes.start("c", "127.0.0.4")
    await a.ok(
        "confederation",
        "found",
        "cascadia",
        "--charter",
        charter_file(tmp_path, "vote"),
    )
    assert await members_of(a, "cascadia") == [a.actor("node")]

    # B joins through A's replica; A's vote alone is a majority of {A}
    await admit_by_vote(b, a, [a], [a])
    # C joins; the electorate is {A, B}: a majority needs both
    await c.ok("confederation", "join", f"cascadia@{a.host}")
    proposal = await wait_proposal(a, "cascadia", c.actor("node"))
    await a.ok("confederation", "vote", "cascadia", proposal, "yes")
    await _sleep(0.5)
    assert c.actor("node") not in await members_of(a, "cascadia")  # one vote of two
    await wait_proposal(b, "cascadia", c.actor("node"))
    await b.ok("confederation", "vote", "cascadia", proposal, "yes")
    everyone = {a.actor("node"), b.actor("node"), c.actor("node")}
    for node in (a, b, c):
        await wait_members(node, "cascadia", everyone)

    # every replica follows the other members' node actors (the mesh)
    for node in (a, b, c):
        targets = {
            r["target"]
            for r in await node.db.fetch(
                "SELECT target FROM following WHERE state = 'accepted'"
            )
        }
        for _ in range(100):
            if targets == everyone - {node.actor("node")}:
                break
            await _sleep(0.1)
            targets = {
                r["target"]
                for r in await node.db.fetch(
                    "SELECT target FROM following WHERE state = 'accepted'"
                )
            }
        assert targets == everyone - {node.actor("node")}, node.name

    # a reader follows the replica on A and the one on B; a call published on C reaches
    # the reader from each, exactly once
    await follow(reader, a, "cascadia")
    await follow(reader, b, "cascadia")
    await c.group("tenants")
    call = await c.publish("tenants", "calls", CALL | {"clusters": []})
    await until(lambda: len(boosts(reader, call["id"])) >= 2, timeout=20)
    await _sleep(1.0)  # time for any duplicate to arrive
    assert sorted(boosts(reader, call["id"])) == sorted(
        [a.actor("cascadia"), b.actor("cascadia")]
    )

    # A, the founder, is gone for good: B and C keep aggregating
    await nodes.stop(a)
    second = await c.publish(
        "tenants", "calls", CALL | {"clusters": [], "title": "Again"}
    )
    await until(
        lambda: boosts(reader, second["id"]) == [b.actor("cascadia")], timeout=20
    )

    # D joins through B's replica by the votes of B and C (a majority of {A, B, C})
    d = await nodes.start("d", "127.0.0.5")
    await d.ok("confederation", "join", f"cascadia@{b.host}")
    proposal = await wait_proposal(b, "cascadia", d.actor("node"))
    await b.ok("confederation", "vote", "cascadia", proposal, "yes")
    await wait_proposal(c, "cascadia", d.actor("node"))
    await c.ok("confederation", "vote", "cascadia", proposal, "yes")
    for node in (b, c, d):
        await wait_members(node, "cascadia", everyone | {d.actor("node")})
    # D checked the whole history, A's signatures included, without reaching A
    assert (await d.show("cascadia"))["replica"] == "cascadia"

    await d.group("mutual_aid")
    from_d = await d.publish("mutual_aid", "offers", OFFER)
    await until(
        lambda: boosts(reader, from_d["id"]) == [b.actor("cascadia")], timeout=20
    )
