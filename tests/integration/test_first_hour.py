"""A newcomer's first pages and documents: errors in the site's layout with a way home,
JSON errors for machines, NodeInfo that counts what was published."""

from __future__ import annotations

from typing import Any

import pytest

from node.runtime import appkeys
from tests.integration.test_movement import CALL, OFFER, VISION

pytestmark = [pytest.mark.db, pytest.mark.integration]
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def _in_layout(html: str) -> None:
    assert "Movement map" in html  # the site's navigation
    assert "Back to" in html
    assert 'href="http://localhost:8080/"' in html


@pytest.mark.parametrize(
    "path", ["/actors/nobody", "/actors/nobody/calendar.ics", "/no/such/page"]
)
async def test_a_browser_gets_a_404_page_in_the_layout(ui: Any, path: str) -> None:
    resp = await ui.get(path, headers=BROWSER)
    assert resp.status == 404
    assert resp.content_type == "text/html"
    _in_layout(await resp.text())


async def test_a_calendar_app_gets_a_page_and_a_json_client_gets_json(ui: Any) -> None:
    app = await ui.get(
        "/actors/nobody/calendar.ics", headers={"Accept": "text/calendar"}
    )
    assert app.status == 404
    assert app.content_type == "text/html"
    machine = await ui.get(
        "/actors/nobody", headers={"Accept": "application/activity+json"}
    )
    assert machine.status == 404
    assert (await machine.json())["status"] == 404
    api = await ui.get("/api/v1/calls/nothing", headers=BROWSER)
    assert api.content_type == "application/json"


async def test_a_500_is_a_page_in_the_layout_with_a_reference(
    ui: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from node.storage import pages

    async def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(pages, "objects_of", broken)
    resp = await ui.get("/", headers=BROWSER)
    assert resp.status == 500
    html = await resp.text()
    _in_layout(html)
    assert resp.headers["X-Request-Id"] in html
    assert "boom" not in html  # nothing of the failure leaks


async def test_nodeinfo_counts_the_public_objects_published(ui: Any) -> None:
    from node.services.actors import create_actor

    await create_actor(ui.app[appkeys.DB], kind="cluster", name="transport")
    auth = {"Authorization": f"Bearer {ui.token}"}
    for collection, data in (("visions", VISION), ("offers", OFFER), ("calls", CALL)):
        resp = await ui.post(f"/api/v1/{collection}", json=data, headers=auth)
        assert resp.status == 201, await resp.text()
    secret = await ui.post(
        "/api/v1/calls", json=CALL | {"audience": "followers"}, headers=auth
    )
    assert secret.status == 201
    document = await (await ui.get("/nodeinfo/2.1")).json()
    assert document["usage"]["localPosts"] == 3  # the followers-only call not counted


async def test_a_call_for_comment_has_a_deadline_on_its_page_and_in_the_calendar(
    ui: Any,
) -> None:
    from datetime import UTC, datetime, timedelta
    from zoneinfo import ZoneInfo

    import icalendar

    close = (datetime.now(UTC) + timedelta(days=8)).replace(
        hour=20, minute=0, second=0, microsecond=0
    )
    comment = {
        "title": "Comment on the rezoning",
        "body": "Tell the council what the neighbourhood needs.",
        "urgency": "normal",
        "asks": ["public-comment"],
        "deadline": close.isoformat(),
        "timezone": "Europe/Berlin",
    }
    resp = await ui.post(
        "/api/v1/calls", json=comment, headers={"Authorization": f"Bearer {ui.token}"}
    )
    assert resp.status == 201, await resp.text()
    created = await resp.json()
    assert created["object"]["type"] == "Note"
    assert created["object"]["deadline"] == close.isoformat()
    local = close.astimezone(ZoneInfo("Europe/Berlin"))
    shown = f"{local:%H:%M}"
    assert (
        f"Comments close: {local:%a} {local.day} {local:%b %Y}, {shown}"
        in (created["object"]["content"])
    )
    path = created["id"].split("8080", 1)[1]
    page = await (await ui.get(path, headers=BROWSER)).text()
    assert "Comments close" in page
    assert shown in page
    raw = await (await ui.get("/actors/tenants/calendar.ics")).read()
    events = icalendar.Calendar.from_ical(raw).walk("VEVENT")
    (event,) = [e for e in events if "rezoning" in str(e["SUMMARY"])]
    assert event.decoded("DTSTART") == close
    missing_zone = {k: v for k, v in comment.items() if k != "timezone"}
    refused = await ui.post(
        "/api/v1/calls",
        json=missing_zone,
        headers={"Authorization": f"Bearer {ui.token}"},
    )
    assert refused.status == 422
