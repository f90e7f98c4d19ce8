"""Institutions a vision calls for: authored through the API and the publishing form, kept
with their status and champions across an edit by form, federated with the vision, and
listed on /institutions across the node and its confederation, by name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
import pytest

from node.runtime import appkeys
from tests.conftest import until
from tests.integration.nodes import Nodes
from tests.integration.test_admin_ui import csrf_of, sign_in
from tests.integration.test_confederations import charter_file, until_following
from tests.integration.test_movement import VISION

pytestmark = [pytest.mark.db, pytest.mark.integration]


async def test_a_members_institutions_are_listed_across_the_confederation(
    nodes: Nodes, tmp_path: Path
) -> None:
    b = await nodes.start("b", "127.0.0.3")
    c = await nodes.start("c", "127.0.0.4")
    await b.found("cascadia", charter_file(tmp_path, "open"))
    await c.ok("confederation", "join", f"cascadia@{b.host}")
    await until_following(b, c.actor("node"))
    await b.group("riders")
    await c.group("tenants")
    bank = {
        "name": "Public land bank",
        "purpose": "Buys land so that homes stay affordable for good.",
        "status": "organising",
        "champions": [c.actor("tenants"), b.actor("riders")],
    }
    vision = await c.publish(
        "tenants", "visions", VISION | {"clusters": [], "institutions": [bank]}
    )
    assert vision["institutions"] == [bank]
    assert "Public land bank" in vision["content"], "readable in any client"

    async def known() -> bool:
        return bool(
            await b.db.fetchval(
                "SELECT 1 FROM remote_objects WHERE id = $1 AND fields ? 'institutions'",
                vision["id"],
            )
        )

    await until(known, timeout=15, what="B holding C's vision with its institutions")
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{b.url}/institutions", headers={"Accept": "text/html"}) as resp,
    ):
        assert resp.status == 200
        page = await resp.text()
    listed = page[page.index("<h1>") :]
    assert "Public land bank" in listed
    assert "being organised" in listed
    assert "Buys land so that homes stay affordable" in listed
    assert f'href="{vision["id"]}"' in listed
    for champion in (c.actor("tenants"), b.actor("riders")):
        assert f'href="{champion}"' in listed
    assert f"@tenants@{c.host}" in listed, "the vision's author, by handle"

    status, refused = await c.api(
        "POST",
        "/api/v1/visions",
        "tenants",
        json=VISION | {"institutions": [bank | {"champions": ["not a url"]}]},
    )
    assert status == 422, refused


async def test_the_form_writes_institutions_and_an_edit_keeps_their_details(
    ui: Any,
) -> None:
    csrf = await sign_in(ui)
    form = {
        "csrf": csrf,
        "title": "A fed city",
        "summary": "Everyone eats well.",
        "body": "Food is a right.",
        "horizon": "20",
        "place": "Seattle",
        "institutions": "Community food system: farms and kitchens owned by neighbours\nno colon here",
        "audience": "public",
        "do": "publish",
    }
    resp = await ui.post("/admin/vision/new", data=form, allow_redirects=False)
    assert resp.status == 422
    assert "write each as Name: what it is for" in await resp.text()
    form["institutions"] = (
        "Community food system: farms and kitchens owned by neighbours"
    )
    resp = await ui.post("/admin/vision/new", data=form, allow_redirects=False)
    assert resp.status == 303, await resp.text()
    db = ui.app[appkeys.DB]
    object_id, fields = await db.fetchrow("SELECT id, fields FROM objects")
    assert fields["institutions"] == [
        {
            "name": "Community food system",
            "purpose": "farms and kitchens owned by neighbours",
        }
    ]
    # the API sets its status and a champion; an edit through the form keeps them
    key = object_id.rsplit("/", 1)[1]
    champion = f"{ui.app[appkeys.SETTINGS].url}/actors/tenants"
    detailed = [
        fields["institutions"][0] | {"status": "founded", "champions": [champion]}
    ]
    resp = await ui.put(
        f"/api/v1/visions/{key}",
        json=dict(fields) | {"institutions": detailed},
        headers={"Authorization": f"Bearer {ui.token}"},
    )
    assert resp.status == 200, await resp.text()
    edit = await ui.get(f"/admin/vision/{key}/edit")
    assert (
        "Community food system: farms and kitchens owned by neighbours"
        in await edit.text()
    )
    csrf = csrf_of(await edit.text())
    resp = await ui.post(
        f"/admin/vision/{key}/edit",
        data=form | {"csrf": csrf, "title": "A well-fed city"},
        allow_redirects=False,
    )
    assert resp.status == 303, await resp.text()
    kept = await db.fetchval("SELECT fields FROM objects WHERE id = $1", object_id)
    assert kept["title"] == "A well-fed city"
    assert kept["institutions"] == detailed
