"""Endorsements across three real nodes: groups on two other nodes sign under a vision of
A's, a person's endorsement counts apart as support, the endorsing group's followers get a
post quoting the vision, anyone can check each signature with the endorser's published key,
a signature is taken back; and forged ones change nothing."""

from __future__ import annotations

import copy
import json
import uuid
from typing import Any

import aiohttp
import pytest

from node.services.actors import create_actor
from node.services.signed_notes import proof_problem
from node.storage import tokens
from tests.conftest import db_value, until
from tests.integration.nodes import Node, Nodes
from tests.integration.test_confederations import _post_as, follow
from tests.integration.test_movement import VISION
from tests.peer import Peer

pytestmark = [pytest.mark.db, pytest.mark.integration]
AP = {"Accept": "application/activity+json"}


PENDING = "SELECT count(*) FROM inbox WHERE processed_at IS NULL"


def create_of(obj: dict[str, Any], actor: str) -> dict[str, Any]:
    """A public Create of `obj` by `actor` (what a forger would send)."""
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{actor}/activities/{uuid.uuid4()}",
        "type": "Create",
        "actor": actor,
        "object": obj,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
    }


async def _endorse(node: Node, who: str, data: dict[str, Any]) -> tuple[int, Any]:
    return await node.request(
        "POST",
        "/api/v1/endorsements",
        data,
        {"Authorization": f"Bearer {node.tokens[who]}"},
    )


async def _signed(a: Node, vision: str) -> dict[str, Any]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{a.url}/api/v1/endorsements", params={"object": vision}) as resp,
    ):
        assert resp.status == 200
        listed: dict[str, Any] = await resp.json()
        return listed


async def _count(a: Node) -> int:
    return int(await a.db.fetchval("SELECT count(*) FROM endorsements"))


async def _three(nodes: Nodes) -> tuple[Node, Node, Node, str]:
    a = await nodes.start("a", "127.0.0.2")
    b = await nodes.start("b", "127.0.0.3")
    c = await nodes.start("c", "127.0.0.4")
    await a.group("tenants")
    await b.group("riders")
    await c.group("climate")
    vision = await a.publish("tenants", "visions", VISION | {"clusters": []})
    return a, b, c, vision["id"]


async def test_two_nodes_groups_sign_a_vision_and_a_person_supports_it(
    nodes: Nodes, reader: Peer
) -> None:
    a, b, c, vision = await _three(nodes)
    await follow(reader, b, "riders")
    status, note = await _endorse(
        b, "riders", {"object": vision, "statement": "Our routes lead there."}
    )
    assert status == 201, note
    assert note["proof"]["cryptosuite"] == "eddsa-jcs-2022"
    status, _ = await _endorse(c, "climate", {"object": vision})
    assert status == 201
    person = await create_actor(c.db, kind="member", name="ana", display_name="Ana")
    _id, c.tokens["ana"] = await tokens.create(
        c.db, local_actor_id=person.id, label="t"
    )
    status, _ = await _endorse(c, "ana", {"object": vision, "statement": "Yes!"})
    assert status == 201

    async def all_arrived() -> bool:
        return await _count(a) == 3

    await until(all_arrived, timeout=15, what="three endorsements on A")
    listed = await _signed(a, vision)
    assert [(s["name"], s["handle"]) for s in listed["signatures"]] == [
        ("riders", f"@riders@{b.host}"),
        ("climate", f"@climate@{c.host}"),
    ]
    assert listed["signatures"][0]["statement"] == "Our routes lead there."
    assert listed["support"] == 1, "a Person's endorsement is support, not a signature"

    # anyone can check a signature with the key the endorser publishes (even unsigned)
    async with (
        aiohttp.ClientSession() as session,
        session.get(b.actor("riders"), headers=AP) as resp,
    ):
        riders = await resp.json(content_type=None)
    signed = listed["signatures"][0]["document"]
    assert proof_problem(signed, riders) is None
    tampered = copy.deepcopy(signed) | {"statement": "We oppose it."}
    assert proof_problem(tampered, riders) is not None

    # the vision's page lists the signatories by name and node, and the support apart
    async with (
        aiohttp.ClientSession() as session,
        session.get(vision, headers={"Accept": "text/html"}) as resp,
    ):
        page = await resp.text()
    signed_section = page[page.index('id="signed-h"') :]
    assert f"@riders@{b.host}" in signed_section
    assert "Our routes lead there." in signed_section
    assert "1 person supports it" in signed_section

    # riders' followers see a post quoting the vision
    await until(
        lambda: any(
            a_["object"].get("quote") == vision for a_ in reader.activities("Create")
        ),
        timeout=10,
        what="the endorsement post at riders' follower",
    )

    # taking it back
    status, _ = await b.request(
        "DELETE",
        f"/api/v1/endorsements?object={vision}",
        None,
        {"Authorization": f"Bearer {b.tokens['riders']}"},
    )
    assert status == 204

    async def withdrawn() -> bool:
        return [s["name"] for s in (await _signed(a, vision))["signatures"]] == [
            "climate"
        ]

    await until(withdrawn, timeout=10, what="riders' signature withdrawn on A")
    status, again = await _endorse(c, "climate", {"object": vision})
    assert (status, again["error"]) == (409, "already_endorsed")


async def test_forged_endorsements_change_nothing(nodes: Nodes) -> None:
    a, b, c, vision = await _three(nodes)
    status, note = await _endorse(b, "riders", {"object": vision, "statement": "Yes."})
    assert status == 201

    async def arrived() -> bool:
        return await _count(a) == 1

    await until(arrived, timeout=10, what="riders' endorsement on A")
    inbox = f"{a.url}/inbox"

    # 1. riders' signed note with its statement changed: the proof no longer holds
    changed = json.loads(json.dumps(note)) | {
        "id": f"{b.actor('riders')}/objects/{uuid.uuid4()}",
        "statement": "We oppose it.",
    }
    await _post_as(b, "riders", inbox, create_of(changed, b.actor("riders")))
    # 2. climate (on C) delivering a note that says riders wrote it
    await _post_as(c, "climate", inbox, create_of(note, c.actor("climate")))
    # 3. climate's own note, its proof made with riders' key id but climate's key
    forged = json.loads(json.dumps(note)) | {
        "id": f"{c.actor('climate')}/objects/{uuid.uuid4()}",
        "attributedTo": c.actor("climate"),
    }
    await _post_as(c, "climate", inbox, create_of(forged, c.actor("climate")))
    # 4. an endorsement of something that is not A's
    elsewhere = json.loads(json.dumps(note)) | {
        "endorses": f"{a.url}/actors/tenants/objects/{uuid.uuid4()}"
    }
    await _post_as(b, "riders", inbox, create_of(elsewhere, b.actor("riders")))

    assert await db_value(a.db, PENDING, 0, timeout=10) == 0, "A processed them"
    listed = await _signed(a, vision)
    assert [s["statement"] for s in listed["signatures"]] == ["Yes."]
    assert listed["support"] == 0
    assert await _count(a) == 1
    # and nothing endorses what is not a public vision or call
    status, refused = await _endorse(
        b, "riders", {"object": f"{a.url}/actors/tenants/objects/{uuid.uuid4()}"}
    )
    assert status in (404, 422)
    assert refused["error"] in ("unreachable", "not_endorsable")
    status, refused = await _endorse(b, "riders", {"object": "not a url"})
    assert status == 422


async def test_an_organiser_signs_and_takes_on_a_step_from_the_dashboard(
    ui: Any,
) -> None:
    from node.runtime import appkeys
    from tests.integration.test_admin_ui import csrf_of, sign_in

    db = ui.app[appkeys.DB]
    riders = await create_actor(db, kind="group", name="riders", display_name="Riders")
    _id, secret = await tokens.create(db, local_actor_id=riders.id, label="t")
    resp = await ui.post(
        "/api/v1/visions",
        json=VISION | {"clusters": []},
        headers={"Authorization": f"Bearer {secret}"},
    )
    vision = (await resp.json())["id"]
    await sign_in(ui)
    csrf = csrf_of(await (await ui.get("/admin")).text())
    resp = await ui.post(
        "/admin/endorse",
        data={"csrf": csrf, "object": "not an address"},
    )
    assert "paste the address of a vision or call" in await resp.text()
    assert await db.fetchval("SELECT count(*) FROM endorsements") == 0
    resp = await ui.post(
        "/admin/endorse",
        data={"csrf": csrf, "object": vision, "statement": "We share it."},
    )
    assert "Endorsed." in await resp.text()
    signed = await db.fetchrow(
        "SELECT endorser, statement, signature FROM endorsements"
    )
    assert signed["endorser"].endswith("/actors/tenants")
    assert (signed["statement"], signed["signature"]) == ("We share it.", True)
    resp = await ui.post(
        "/admin/plan",
        data={
            "csrf": csrf,
            "vision": vision,
            "title": "Map the lots",
            "due": "2027-05-01",
        },
    )
    assert "Taken on, as a step of the plan." in await resp.text()
    item = await db.fetchrow("SELECT owner, title, due FROM plan_items")
    assert item["title"] == "Map the lots"
    assert item["due"].isoformat() == "2027-05-01"
    # without the CSRF token nothing happens
    resp = await ui.post(
        "/admin/plan", data={"vision": vision, "title": "Forged"}, allow_redirects=False
    )
    assert resp.status == 403
    assert await db.fetchval("SELECT count(*) FROM plan_items") == 1
