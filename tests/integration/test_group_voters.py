"""A confederation whose charter has the member nodes' groups vote on adoptions, across
three real nodes: each node names its groups (and a group created after it joined) in a
signed record every member checks; the groups vote, by the CLI and by a group admin's API
token, and carry the adoption on every node; a node's own vote, a group's second vote and
a vote from a group that is not in the electorate change nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from node.storage import actors as actor_store, tokens
from tests.conftest import until
from tests.integration.nodes import Node, Nodes
from tests.integration.test_adoption import _page
from tests.integration.test_confederations import (
    charter_file,
    state,
    three_nodes,
    wait_members,
    wait_proposal,
)
from tests.integration.test_movement import VISION

pytestmark = [pytest.mark.db, pytest.mark.integration]


async def _groups_known(node: Node, expected: dict[str, set[str]]) -> None:
    async def known() -> bool:
        folded = await state(node, "cascadia")
        return {m: set(g) for m, g in folded.groups.items()} == expected

    await until(known, timeout=15, what=f"{node.name} knows every node's groups")


async def _group_vote(node: Node, group: str, proposal: str, choice: str) -> Any:
    """A group admin's vote through the API: (status, body)."""
    return await node.api(
        "POST",
        "/api/v1/confederations/cascadia/group-votes",
        group,
        json={"proposal": proposal, "choice": choice},
    )


async def _token_of(node: Node, group: str) -> None:
    found = await actor_store.local_by_name(node.db, group)
    assert found is not None
    _id, secret = await tokens.create(node.db, local_actor_id=found.id, label="t")
    node.tokens[group] = secret


async def test_the_groups_of_member_nodes_adopt_a_shared_vision(
    nodes: Nodes, tmp_path: Path
) -> None:
    a, b, c = await three_nodes(nodes)
    await a.group("tenants")
    await b.group("cyclists")
    await a.found("cascadia", charter_file(tmp_path, "open", voters="groups"))
    for node in (b, c):
        await node.ok("confederation", "join", f"cascadia@{a.host}")
    everyone = {a.actor("node"), b.actor("node"), c.actor("node")}
    for node in (a, b, c):
        await wait_members(node, "cascadia", everyone)
    # C had no group when it joined; the group it creates now is named at once
    await c.ok("group", "create", "farmers")
    await _token_of(c, "farmers")
    expected = {
        a.actor("node"): {a.actor("tenants")},
        b.actor("node"): {b.actor("cyclists")},
        c.actor("node"): {c.actor("farmers")},
    }
    for node in (a, b, c):
        await _groups_known(node, expected)
    shown = await a.show("cascadia")
    assert shown["voters"] == "groups"

    vision = (await a.publish("tenants", "visions", VISION | {"clusters": []}))["id"]
    version = f"{vision}/versions/1"
    await a.ok("confederation", "adopt", "cascadia", version)
    proposal = await wait_proposal(b, "cascadia", version)
    folded = await state(b, "cascadia")
    assert folded.proposals[proposal].electorate == {
        a.actor("tenants"),
        b.actor("cyclists"),
        c.actor("farmers"),
    }

    # the node itself has no vote on an adoption here
    code, _out, err = await b.cli("confederation", "vote", "cascadia", proposal, "yes")
    assert code != 0
    assert "electorate" in err
    # a group votes by the CLI, once
    await a.ok(
        "confederation", "vote", "cascadia", proposal, "yes", "--group", "tenants"
    )
    code, _out, err = await a.cli(
        "confederation", "vote", "cascadia", proposal, "no", "--group", "tenants"
    )
    assert code != 0
    assert "voted already" in err
    status, body = await _group_vote(c, "farmers", proposal, "maybe")
    assert status == 422
    assert body["error"] == "invalid_input"
    # a group admin votes through the API: 2 of 3 groups carry it
    status, _ = await _group_vote(c, "farmers", proposal, "yes")
    assert status == 200

    async def adopted_everywhere() -> bool:
        for node in (a, b, c):
            if [p.subject for p in (await state(node, "cascadia")).adopted] != [
                version
            ]:
                return False
        return True

    await until(adopted_everywhere, timeout=15, what="the adoption on A, B and C")
    decided = (await state(a, "cascadia")).proposals[proposal]
    assert decided.yes == {a.actor("tenants"), c.actor("farmers")}
    assert decided.state == "passed"
    # the cyclists, too late, change nothing
    status, body = await _group_vote(b, "cyclists", proposal, "no")
    assert status == 409
    assert body["error"] == "refused"

    # pinned on each member's home with the groups that voted for it
    home = await _page(b.url + "/")
    pinned = home[home.index('class="shared"') :]
    assert str(VISION["title"]) in pinned
    assert "2 of 3 for" in pinned
    assert f"@tenants@{a.host}" in pinned
    assert f"@farmers@{c.host}" in pinned
