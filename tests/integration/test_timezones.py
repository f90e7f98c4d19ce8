"""Time zones from people: a directory of the zone database (Pacific, America, US) or a
misspelling is a 422 with suggestions, never a 500; the node's zone is the form's default
and the form offers a list."""

from __future__ import annotations

from typing import Any

import pytest

from node.runtime import appkeys
from tests.integration.test_admin_ui import HTML, call_form, sign_in
from tests.integration.test_movement import CALL

pytestmark = [pytest.mark.db, pytest.mark.integration]


@pytest.mark.parametrize(
    "zone", ["Pacific", "America", "US", "Amercia/Chicago", "utc+2"]
)
async def test_the_api_answers_422_with_suggestions_for_a_non_zone(
    ui: Any,
    zone: str,
) -> None:
    pool = ui.app[appkeys.DB]
    before = await pool.fetchval("SELECT count(*) FROM objects")
    resp = await ui.post(
        "/api/v1/calls",
        json=CALL | {"timezone": zone},
        headers={"Authorization": f"Bearer {ui.token}"},
    )
    assert resp.status == 422, await resp.text()
    fields = {f["field"]: f["message"] for f in (await resp.json())["fields"]}
    assert f"unknown time zone {zone!r}" in fields["timezone"]
    assert "did you mean" in fields["timezone"]
    assert await pool.fetchval("SELECT count(*) FROM objects") == before


async def test_the_suggestions_for_an_area_are_zones_in_it(ui: Any) -> None:
    resp = await ui.post(
        "/api/v1/calls",
        json=CALL | {"timezone": "Pacific"},
        headers={"Authorization": f"Bearer {ui.token}"},
    )
    message = next(
        f["message"] for f in (await resp.json())["fields"] if f["field"] == "timezone"
    )
    assert "Pacific/Auckland" in message


@pytest.mark.parametrize("do", ["preview", "publish"])
async def test_the_form_shows_the_error_beside_the_zone_and_stores_nothing(
    ui: Any,
    do: str,
) -> None:
    csrf = await sign_in(ui)
    pool = ui.app[appkeys.DB]
    resp = await ui.post(
        "/admin/call/new",
        data=call_form(csrf, timezone="Pacific", do=do),
        headers=HTML | {"Origin": str(ui.make_url("")).rstrip("/")},
    )
    assert resp.status == 422
    html = await resp.text()
    assert 'id="f-timezone-error"' in html
    assert "unknown time zone &#39;Pacific&#39;" in html
    assert await pool.fetchval("SELECT count(*) FROM objects") == 0


async def test_the_form_offers_zones_with_the_nodes_own_selected(
    make_client: Any,
) -> None:
    from node.services.actors import create_actor
    from node.storage import tokens

    client = await make_client(timezone="America/Los_Angeles")
    pool = client.app[appkeys.DB]
    group = await create_actor(pool, kind="group", name="tenants")
    _id, client.token = await tokens.create(pool, local_actor_id=group.id, label="t")
    await sign_in(client)
    html = await (await client.get("/admin/call/new")).text()
    assert '<select id="f-timezone" name="timezone"' in html
    assert '<option value="America/Los_Angeles" selected>' in html
    assert '<option value="Europe/Berlin">' in html
