"""Founding or joining a confederation brings a node's recent public objects into it: the
node's own replica relays them at once, and each other member's replica receives them when
it follows the new member; never a followers-only object, each object once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.conftest import until
from tests.integration.nodes import Nodes
from tests.integration.test_confederations import (
    charter_file,
    until_announced,
    until_following,
)
from tests.integration.test_movement import OFFER, VISION
from tests.integration.test_pages import call_in

pytestmark = [pytest.mark.db, pytest.mark.integration]


async def _announcements(node: Any, object_id: str) -> int:
    return int(
        await node.db.fetchval(
            "SELECT count(*) FROM confederation_announced WHERE object_id = $1",
            object_id,
        )
    )


async def test_what_was_published_before_a_confederation_reaches_it(
    nodes: Nodes, tmp_path: Path
) -> None:
    b = await nodes.start("b", "127.0.0.3")
    c = await nodes.start("c", "127.0.0.4")
    await b.group("tenants")
    await c.group("riders")
    vision = await b.publish("tenants", "visions", VISION | {"clusters": []})
    call = await b.publish("tenants", "calls", call_in(6, clusters=[]))
    offer = await c.publish(
        "riders", "offers", OFFER | {"title": "Bike couriers for the action"}
    )
    secret = await c.publish(
        "riders",
        "calls",
        call_in(5, title="Safehouse meeting", audience="followers", clusters=[]),
    )

    # founding: b's own replica relays what b published before
    await b.found("cascadia", charter_file(tmp_path, "open"))
    for obj in (vision, call):
        await until_announced(b, "cascadia", obj["id"])

    # joining: c's replica relays c's offer and, once it follows b, b's objects; b's
    # replica, once it follows c, relays c's offer
    await c.ok("confederation", "join", f"cascadia@{b.host}")
    await until_following(c, b.actor("node"))
    await until_following(b, c.actor("node"))
    await until_announced(c, "cascadia", offer["id"])
    for obj in (vision, call):
        await until_announced(c, "cascadia", obj["id"])
    await until_announced(b, "cascadia", offer["id"])

    # the followers-only call went nowhere; each object was announced once per replica
    assert (
        await b.db.fetchval(
            "SELECT count(*) FROM remote_objects WHERE id = $1", secret["id"]
        )
        == 0
    )
    assert await _announcements(c, secret["id"]) == 0
    for node, obj in ((b, offer), (c, vision), (c, call), (c, offer), (b, vision)):
        assert await _announcements(node, obj["id"]) == 1, (node.name, obj["id"])

    # and a visitor of b's confederation page sees c's offer by its title
    async def page_has_offer() -> bool:
        async with (
            aiohttp.ClientSession() as session,
            session.get(b.actor("cascadia"), headers={"Accept": "text/html"}) as resp,
        ):
            return "Bike couriers for the action" in await resp.text()

    await until(page_has_offer, timeout=10, what="c's offer on b's confederation page")
