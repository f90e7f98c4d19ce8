"""The node's operators are people with accounts too: they vote as the node in its
confederation through the API, and a node can want a second operator for its votes. Two
real nodes on loopback: B asks to join A's confederation; A's vote waits until a second
operator of A approves, the shell refuses to go round it, and then B is a member."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from node.domain.access import Role
from node.services import accounts
from node.storage import tokens
from tests.integration.nodes import Node, Nodes
from tests.integration.test_confederations import (
    charter_file,
    members_of,
    wait_members,
    wait_proposal,
)

pytestmark = [pytest.mark.db, pytest.mark.integration]


async def operator(node: Node, name: str) -> dict[str, str]:
    """An operator account (from `account create --operator`'s link) and its token for
    the node actor."""
    out = await node.ok("account", "create", name, "--operator")
    secret = out.strip().splitlines()[-1].rsplit("/", 1)[1]
    now = datetime.now(UTC)
    account_id, _ = await accounts.accept(
        node.db,
        secret,
        name=name,
        now=now,
        password_hash=await accounts.hash_password("a long pass phrase"),
        totp_secret=accounts.new_totp_secret(),
    )
    node_id = await node.db.fetchval("SELECT id FROM local_actors WHERE kind = 'node'")
    role = await node.db.fetchval(
        "SELECT role FROM group_roles WHERE account_id = $1 AND local_actor_id = $2",
        account_id,
        node_id,
    )
    assert role == Role.ADMIN  # the operators are the node actor's admins
    _id, token = await tokens.create(
        node.db,
        local_actor_id=node_id,
        label="ops",
        account_id=account_id,
        scope="admin",
    )
    return {"Authorization": f"Bearer {token}"}


async def test_the_nodes_vote_waits_for_a_second_operator(
    nodes: Nodes, tmp_path: Path
) -> None:
    a = await nodes.start("a", "127.0.0.2")
    b = await nodes.start("b", "127.0.0.3")
    await a.found("cascadia", charter_file(tmp_path, "vote"))
    ana, ben = await operator(a, "ana"), await operator(a, "ben")
    resp = await a.request(
        "PUT", "/api/v1/two-person", {"actions": ["confederation_vote"]}, ana
    )
    assert resp[0] == 200, resp

    await b.ok("confederation", "join", f"cascadia@{a.host}")
    proposal = await wait_proposal(a, "cascadia", b.actor("node"))
    status, body = await a.request(
        "POST",
        "/api/v1/confederations/cascadia/vote",
        {"proposal": proposal, "choice": "yes"},
        ana,
    )
    assert status == 202, body
    pending = body["pending"]
    # the shell does not go round the rule
    code, _out, err = await a.cli("confederation", "vote", "cascadia", proposal, "yes")
    assert code == 1
    assert "second operator" in err
    await asyncio.sleep(0.5)
    assert b.actor("node") not in await members_of(a, "cascadia")

    # ana cannot approve her own; ben can, and then the vote goes out
    status, _body = await a.request(
        "POST", f"/api/v1/pending/{pending}/approve", None, ana
    )
    assert status == 404
    status, body = await a.request(
        "POST", f"/api/v1/pending/{pending}/approve", None, ben
    )
    assert status == 200, body
    expected = {a.actor("node"), b.actor("node")}
    await wait_members(a, "cascadia", expected)
    await wait_members(b, "cascadia", expected)
    out = await a.ok("audit")
    assert "\tana\tnode\tconfederation_vote_requested\tcascadia" in out
    assert "\tben\tnode\tapproved\t" in out

    # a group's token is not the node's
    group_token = await a.group("tenants")
    status, body = await a.request(
        "POST",
        "/api/v1/confederations/cascadia/leave",
        None,
        {"Authorization": f"Bearer {group_token}"},
    )
    assert status == 403
    assert body["error"] == "operator_required"
