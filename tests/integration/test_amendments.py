"""Amendments across three real nodes: groups on B and C propose changes to A's vision;
A's group declines one and accepts the other (a new version, the earlier one kept), and
each proposer's node learns which; no one else can decide, and forged or invalid
amendments change nothing."""

from __future__ import annotations

import json
import uuid
from typing import Any

import aiohttp
import pytest

from node.services.actors import create_actor
from node.storage import tokens
from tests.conftest import db_value, until
from tests.integration.nodes import Node, Nodes
from tests.integration.test_confederations import _post_as
from tests.integration.test_endorsements import PENDING, _three, create_of
from tests.integration.test_movement import CALL

pytestmark = [pytest.mark.db, pytest.mark.integration]


async def _api(
    node: Node, who: str, method: str, path: str, body: Any
) -> tuple[int, Any]:
    return await node.request(
        method, path, body, {"Authorization": f"Bearer {node.tokens[who]}"}
    )


async def _listed(node: Node, vision: str) -> list[dict[str, Any]]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{node.url}/api/v1/amendments", params={"object": vision}) as resp,
    ):
        assert resp.status == 200, await resp.text()
        return list((await resp.json())["amendments"])


async def _state(node: Node, amendment: str) -> str | None:
    found = await node.db.fetchval(
        "SELECT state FROM amendments WHERE id = $1", amendment
    )
    return None if found is None else str(found)


async def test_the_author_accepts_one_amendment_and_declines_another(
    nodes: Nodes,
) -> None:
    a, b, c, vision = await _three(nodes)
    status, from_b = await _api(
        b,
        "riders",
        "POST",
        "/api/v1/amendments",
        {
            "object": vision,
            "changes": {
                "title": "A city where no one is displaced, and everyone moves"
            },
            "statement": "Housing and transit are one struggle.",
        },
    )
    assert status == 201, from_b
    status, from_c = await _api(
        c,
        "climate",
        "POST",
        "/api/v1/amendments",
        {"object": vision, "changes": {"horizon": 50}},
    )
    assert status == 201, from_c

    async def both_arrived() -> bool:
        return len(await _listed(a, vision)) == 2

    await until(both_arrived, timeout=15, what="two amendments on A")
    page = await _page(vision)
    section = page[page.index('id="amend-h"') :]
    assert f"@riders@{b.host}" in section
    assert "Housing and transit are one struggle." in section
    assert "<ins>A city where no one is displaced, and everyone moves</ins>" in section

    # only the vision's author decides
    await a.group("bikes")
    status, _ = await _api(
        a,
        "bikes",
        "POST",
        "/api/v1/amendments/decision",
        {"amendment": from_b["id"], "decision": "accept"},
    )
    assert status == 404
    status, _ = await _api(
        c,
        "climate",
        "POST",
        "/api/v1/amendments/decision",
        {"amendment": from_c["id"], "decision": "accept"},
    )
    assert status == 404

    status, done = await _api(
        a,
        "tenants",
        "POST",
        "/api/v1/amendments/decision",
        {"amendment": from_c["id"], "decision": "decline"},
    )
    assert (status, done["state"]) == (200, "declined")
    status, done = await _api(
        a,
        "tenants",
        "POST",
        "/api/v1/amendments/decision",
        {"amendment": from_b["id"], "decision": "accept"},
    )
    assert (status, done["state"]) == (200, "accepted")
    status, _again = await _api(
        a,
        "tenants",
        "POST",
        "/api/v1/amendments/decision",
        {"amendment": from_b["id"], "decision": "decline"},
    )
    assert status == 404, "decided once"

    # the vision has the amended title as its version 2; version 1 is kept
    fields = await a.db.fetchval("SELECT fields FROM objects WHERE id = $1", vision)
    assert fields["title"] == "A city where no one is displaced, and everyone moves"
    assert fields["horizon"] == 20, "the declined amendment changed nothing"
    assert await a.db.fetchval("SELECT count(*) FROM object_versions") == 1

    async def told() -> bool:
        return (await _state(b, from_b["id"]), await _state(c, from_c["id"])) == (
            "accepted",
            "declined",
        )

    await until(told, timeout=15, what="each proposer's node knowing the decision")


async def _page(url: str) -> str:
    async with (
        aiohttp.ClientSession() as session,
        session.get(url, headers={"Accept": "text/html"}) as resp,
    ):
        return await resp.text()


async def test_invalid_forged_and_misdirected_amendments_change_nothing(
    nodes: Nodes,
) -> None:
    a, b, c, vision = await _three(nodes)
    call = await a.publish("tenants", "calls", CALL | {"clusters": []})
    for body, status in (
        ({"object": vision, "changes": {"title": "x" * 201}}, 422),
        ({"object": vision, "changes": {}}, 422),
        ({"object": vision, "changes": {"kind": "offer"}}, 422),
        ({"object": call["id"], "changes": {"title": "Later"}}, 422),
    ):
        got, answer = await _api(b, "riders", "POST", "/api/v1/amendments", body)
        assert got == status, (body, answer)
    status, own = await _api(
        a,
        "tenants",
        "POST",
        "/api/v1/amendments",
        {"object": vision, "changes": {"title": "Mine"}},
    )
    assert (status, own["error"]) == (422, "own_vision")

    status, real = await _api(
        b,
        "riders",
        "POST",
        "/api/v1/amendments",
        {"object": vision, "changes": {"place": "Seattle and Tacoma"}},
    )
    assert status == 201

    async def arrived() -> bool:
        return len(await _listed(a, vision)) == 1

    await until(arrived, timeout=10, what="riders' amendment on A")
    inbox = f"{a.url}/inbox"

    # climate delivers riders' amendment as its own; riders' changed after signing
    await _post_as(c, "climate", inbox, create_of(real, c.actor("climate")))
    changed = json.loads(json.dumps(real)) | {
        "id": f"{b.actor('riders')}/objects/{uuid.uuid4()}",
        "changes": {"place": "Nowhere"},
    }
    await _post_as(b, "riders", inbox, create_of(changed, b.actor("riders")))
    # and an Accept of riders' amendment from someone who is not the vision's author
    fake = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{c.actor('climate')}/activities/{uuid.uuid4()}",
        "type": "Accept",
        "actor": c.actor("climate"),
        "object": real["id"],
    }
    await _post_as(c, "climate", f"{b.url}/inbox", fake)

    for node in (a, b):
        assert await db_value(node.db, PENDING, 0, timeout=10) == 0, node.name
    listed = await _listed(a, vision)
    assert [x["proposed"] for x in listed] == [{"place": "Seattle and Tacoma"}]
    assert await _state(b, real["id"]) == "open"
    person = await create_actor(a.db, kind="member", name="ana")
    _id, a.tokens["ana"] = await tokens.create(
        a.db, local_actor_id=person.id, label="t"
    )
    status, _ = await _api(
        a,
        "ana",
        "POST",
        "/api/v1/amendments/decision",
        {"amendment": real["id"], "decision": "accept"},
    )
    assert status == 404
