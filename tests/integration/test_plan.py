"""A vision's plan across three real nodes: groups on B and C take on items of A's
vision; B's owner updates its item and the change reaches A's page, the plan's Atom feed and
its calendar; an overdue item is marked; nobody else can move an item."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import feedparser
import icalendar
import pytest

from tests.conftest import db_value, until
from tests.integration.nodes import Node, Nodes
from tests.integration.test_confederations import _post_as
from tests.integration.test_endorsements import PENDING, _three

pytestmark = [pytest.mark.db, pytest.mark.integration]


async def _api(
    node: Node, who: str, method: str, path: str, body: Any
) -> tuple[int, Any]:
    return await node.request(
        method, path, body, {"Authorization": f"Bearer {node.tokens[who]}"}
    )


async def _get(url: str, accept: str = "text/html") -> str:
    async with (
        aiohttp.ClientSession() as session,
        session.get(url, headers={"Accept": accept}) as resp,
    ):
        assert resp.status == 200, url
        return await resp.text()


async def _items(node: Node, vision: str) -> list[dict[str, Any]]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{node.url}/api/v1/plan", params={"vision": vision}) as resp,
    ):
        return list((await resp.json())["items"])


async def test_owners_take_on_and_update_the_steps_of_a_vision(nodes: Nodes) -> None:
    a, b, c, vision = await _three(nodes)
    last_month = (datetime.now(UTC) - timedelta(days=30)).date().isoformat()
    next_year = (datetime.now(UTC) + timedelta(days=365)).date().isoformat()
    status, lots = await _api(
        b,
        "riders",
        "POST",
        "/api/v1/plan",
        {
            "vision": vision,
            "title": "Map every vacant lot",
            "due": last_month,
            "status": "underway",
            "note": "Half the districts mapped.",
        },
    )
    assert status == 201, lots
    status, bank = await _api(
        c,
        "climate",
        "POST",
        "/api/v1/plan",
        {"vision": vision, "title": "Draft the land bank's statutes", "due": next_year},
    )
    assert status == 201, bank

    async def both() -> bool:
        return len(await _items(a, vision)) == 2

    await until(both, timeout=15, what="two plan items on A")
    page = await _get(vision)
    plan = page[page.index('id="plan-h"') :]
    assert "Map every vacant lot" in plan
    assert "overdue" in plan[: plan.index("Draft the land bank")], "past due, under way"
    assert f"@riders@{b.host}" in plan
    assert "Half the districts mapped." in plan

    # the owner updates it: done, with a note; A's page, feed and calendar follow
    status, done = await _api(
        b,
        "riders",
        "PUT",
        f"/api/v1/plan?item={lots['id']}",
        {"status": "done", "note": "Every district mapped: 214 lots."},
    )
    assert status == 200, done

    async def updated() -> bool:
        items = {i["id"]: i for i in await _items(a, vision)}
        return bool(items[lots["id"]]["status"] == "done")

    await until(updated, timeout=15, what="the update on A")
    items = {i["id"]: i for i in await _items(a, vision)}
    assert [n["note"] for n in items[lots["id"]]["progress"]] == [
        "Half the districts mapped.",
        "Every district mapped: 214 lots.",
    ]
    assert items[lots["id"]]["overdue"] is False, "done is never overdue"
    feed = feedparser.parse(await _get(f"{vision}/plan.atom", "application/atom+xml"))
    titles = [e.title for e in feed.entries]
    assert "Map every vacant lot (done)" in titles
    calendar = icalendar.Calendar.from_ical(
        await _get(f"{vision}/plan.ics", "text/calendar")
    )
    due = {str(e["SUMMARY"]): e.decoded("DTSTART") for e in calendar.walk("VEVENT")}
    assert due["Due: Draft the land bank's statutes (climate)"].isoformat() == next_year

    # nobody else moves B's item: not C through its API, not C forging an Update
    status, _ = await _api(
        c, "climate", "PUT", f"/api/v1/plan?item={lots['id']}", {"status": "dropped"}
    )
    assert status == 404
    forged = json.loads(json.dumps(done)) | {"status": "dropped"}
    update = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{c.actor('climate')}/activities/{uuid.uuid4()}",
        "type": "Update",
        "actor": c.actor("climate"),
        "object": forged,
    }
    await _post_as(c, "climate", f"{a.url}/inbox", update)
    # and B's own key cannot make an item of B's say what B did not sign
    tampered = json.loads(json.dumps(done)) | {"title": "Nothing to do"}
    update = update | {
        "id": f"{b.actor('riders')}/activities/{uuid.uuid4()}",
        "actor": b.actor("riders"),
        "object": tampered,
    }
    await _post_as(b, "riders", f"{a.url}/inbox", update)

    assert await db_value(a.db, PENDING, 0, timeout=10) == 0, "A processed it all"
    items = {i["id"]: i for i in await _items(a, vision)}
    assert items[lots["id"]]["status"] == "done"
    assert items[lots["id"]]["title"] == "Map every vacant lot"
    # bad input changes nothing either
    for body in (
        {"vision": vision, "title": "x", "due": "2027-02-30"},
        {"vision": vision, "title": "x", "status": "finished"},
        {"vision": vision},
    ):
        status, _ = await _api(b, "riders", "POST", "/api/v1/plan", body)
        assert status == 422, body
    status, _ = await _api(
        b, "riders", "PUT", f"/api/v1/plan?item={lots['id']}", {"vision": vision}
    )
    assert status == 422
    assert len(await _items(a, vision)) == 2
