"""A confederation of three real nodes adopts a vision version as its shared vision by a
signed vote, with one node offline that catches up from `decisions`; the vision is pinned on
every member's home and on the confederation's page with who voted; adopting a newer version
supersedes the older one visibly; a vote from a non-member changes nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.conftest import db_value, until
from tests.integration.nodes import Node, Nodes
from tests.integration.test_confederations import (
    _post_as,
    charter_file,
    state,
    three_nodes,
    wait_members,
    wait_proposal,
)
from tests.integration.test_endorsements import PENDING
from tests.integration.test_movement import VISION

pytestmark = [pytest.mark.db, pytest.mark.integration]


async def _page(url: str) -> str:
    async with (
        aiohttp.ClientSession() as session,
        session.get(url, headers={"Accept": "text/html"}) as resp,
    ):
        assert resp.status == 200, url
        return await resp.text()


async def _adopted(node: Node) -> list[str]:
    return [p.subject for p in (await state(node, "cascadia")).adopted]


async def _vote_through(
    proposer: Node, voters: list[Node], version: str, syncing: Node | None = None
) -> None:
    await proposer.ok("confederation", "adopt", "cascadia", version)
    if syncing is not None:  # back from offline: deliveries to it are still backing off
        await syncing.ok(
            "confederation", "sync", "cascadia", "--from", proposer.actor("cascadia")
        )
    for voter in voters:
        proposal = await wait_proposal(voter, "cascadia", version)
        await voter.ok("confederation", "vote", "cascadia", proposal, "yes")


async def test_a_confederation_adopts_a_vision_with_one_node_offline(
    nodes: Nodes, tmp_path: Path
) -> None:
    a, b, c = await three_nodes(nodes)
    await a.found("cascadia", charter_file(tmp_path, "open"))
    for node in (b, c):
        await node.ok("confederation", "join", f"cascadia@{a.host}")
    everyone = {a.actor("node"), b.actor("node"), c.actor("node")}
    for node in (a, b, c):
        await wait_members(node, "cascadia", everyone)
    await a.group("tenants")
    vision = (await a.publish("tenants", "visions", VISION | {"clusters": []}))["id"]
    first = f"{vision}/versions/1"

    await nodes.stop(c)  # C is offline for the whole vote
    await _vote_through(a, [a, b], first)  # 2 of 3: a majority

    async def adopted_on_a_and_b() -> bool:
        return await _adopted(a) == [first] and await _adopted(b) == [first]

    await until(adopted_on_a_and_b, timeout=15, what="the adoption on A and B")
    await nodes.restart(c)
    assert await _adopted(c) == []
    await c.ok("confederation", "sync", "cascadia")
    assert await _adopted(c) == [first], "C folds the same records to the same outcome"

    # pinned on C's home, by title, with the member nodes that voted for it
    home = await _page(c.url + "/")
    pinned = home[home.index('class="shared"') :]
    assert "Our vision for Cascadia" in pinned
    assert str(VISION["title"]) in pinned
    assert "2 of 3 for" in pinned
    assert f"@node@{a.host}" in pinned
    assert f"@node@{b.host}" in pinned
    replica = await _page(b.actor("cascadia"))
    assert str(VISION["title"]) in replica[replica.index('class="shared"') :]
    # the version's IRI is stable: it serves the vision it names
    async with (
        aiohttp.ClientSession() as session,
        session.get(first, headers={"Accept": "application/activity+json"}) as resp,
    ):
        served = await resp.json(content_type=None)
    assert served["id"] == first
    assert served["isVersionOf"] == vision

    # a new version, adopted in turn, supersedes the first visibly
    key = vision.rsplit("/", 1)[1]
    status, _ = await a.api(
        "PUT",
        f"/api/v1/visions/{key}",
        "tenants",
        json=VISION
        | {"clusters": [], "title": "A city where no one is ever displaced"},
    )
    assert status == 200
    second = f"{vision}/versions/2"
    await _vote_through(b, [b, c], second, syncing=c)  # C, back, votes too

    async def superseded() -> bool:
        return await _adopted(a) == [first, second]

    await until(superseded, timeout=15, what="version 2 adopted on A")
    home = await _page(a.url + "/")
    pinned = home[home.index('class="shared"') :]
    assert "A city where no one is ever displaced" in pinned
    assert "It supersedes" in pinned
    assert f'href="{first}"' in pinned


async def test_a_vote_from_outside_and_a_bad_version_change_nothing(
    nodes: Nodes, tmp_path: Path
) -> None:
    from node.confederation import records as rec
    from node.services.actors import sign_document
    from node.storage import actors as actor_store, confederations as cstore

    a, b, d = await three_nodes(nodes)
    await a.found("cascadia", charter_file(tmp_path, "open"))
    await b.ok("confederation", "join", f"cascadia@{a.host}")
    await wait_members(a, "cascadia", {a.actor("node"), b.actor("node")})
    await a.group("tenants")
    vision = (await a.publish("tenants", "visions", VISION | {"clusters": []}))["id"]
    code, _out, err = await a.cli(
        "confederation", "adopt", "cascadia", f"{vision}/versions/7"
    )
    assert code != 0
    assert "no version 7" in err
    code, _out, err = await a.cli("confederation", "adopt", "cascadia", vision)
    assert code != 0
    assert "VISION/versions/N" in err
    await a.ok("confederation", "adopt", "cascadia", f"{vision}/versions/1")
    proposal = await wait_proposal(a, "cascadia", f"{vision}/versions/1")
    conf = await cstore.by_name(a.db, "cascadia")
    assert conf is not None
    # D, not a member, signs a yes vote with its own key and sends it to A
    node_d = await actor_store.local_by_name(d.db, "node")
    assert node_d is not None
    record = rec.vote(
        id=f"{d.actor('node')}/activities/{uuid.uuid4()}",
        actor=d.actor("node"),
        confederation=conf.id,
        proposal=proposal,
        yes=True,
        published=datetime.now(UTC),
    )
    signed: dict[str, Any] = await sign_document(
        d.db, base_url=d.url, actor=node_d, document=record, now=datetime.now(UTC)
    )
    await _post_as(d, "node", f"{a.url}/inbox", signed)
    await a.ok("confederation", "vote", "cascadia", proposal, "yes")

    assert await db_value(a.db, PENDING, 0, timeout=10) == 0, "A processed it all"
    shown = (await state(a, "cascadia")).proposals[proposal]
    assert shown.yes == {a.actor("node")}, "D's vote is not counted"
    assert shown.state == "open", "1 of 2 is not a majority"
    assert await _adopted(a) == []
