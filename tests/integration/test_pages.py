"""The node on the web: public pages by content negotiation, Atom and iCalendar feeds
(parsed by independent parsers), and the audience rule: followers-only objects never show."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import feedparser
import icalendar
import pytest
import vobject

from node.runtime import appkeys
from node.services.actors import create_actor
from node.storage import tokens
from tests.integration.test_movement import CALL, OFFER, VISION

pytestmark = [pytest.mark.db, pytest.mark.integration]
HTML = {"Accept": "text/html,application/xhtml+xml"}


def call_in(days: int, **extra: Any) -> dict[str, Any]:
    """The test call, `days` from now (pages show only calls that have not ended)."""
    start = (datetime.now(UTC) + timedelta(days=days)).replace(microsecond=0)
    return CALL | {
        "startTime": start.isoformat(),
        "endTime": (start + timedelta(hours=2)).isoformat(),
        **extra,
    }


@pytest.fixture
async def site(make_client: Any) -> Any:
    """A node with a group, two clusters, and public and followers-only objects."""
    client = await make_client(place="Seattle")
    pool = client.app[appkeys.DB]
    group = await create_actor(
        pool, kind="group", name="tenants", display_name="Tenants Union"
    )
    await create_actor(pool, kind="group", name="riders", display_name="Riders")
    for cluster in ("housing", "transport"):
        await create_actor(pool, kind="cluster", name=cluster, display_name=cluster)
    _id, secret = await tokens.create(pool, local_actor_id=group.id, label="t")
    auth = {"Authorization": f"Bearer {secret}"}
    made = {}
    for name, collection, data in [
        ("soon", "calls", call_in(3, title="Pack the hearing", clusters=["housing"])),
        (
            "later",
            "calls",
            call_in(10, title="March for transit", clusters=["transport"]),
        ),
        (
            "past",
            "calls",
            call_in(-10, title="Last month's rally", clusters=["housing"]),
        ),
        (
            "secret",
            "calls",
            call_in(5, title="Safehouse meeting", audience="followers"),
        ),
        ("vision", "visions", VISION),
        ("offer", "offers", OFFER | {"clusters": ["housing", "transport"]}),
    ]:
        resp = await client.post(f"/api/v1/{collection}", json=data, headers=auth)
        assert resp.status == 201, await resp.text()
        made[name] = (await resp.json())["id"]
    client.made = made
    return client


async def page(client: Any, path: str) -> str:
    resp = await client.get(path, headers=HTML)
    assert resp.status == 200, await resp.text()
    assert resp.content_type == "text/html"
    return str(await resp.text())


async def test_home_shows_the_node_at_a_glance_and_nothing_followers_only(
    site: Any,
) -> None:
    html = await page(site, "/")
    for expected in (
        "<h1>Seattle</h1>",
        "Tenants Union",
        "Riders",
        "#housing",
        "Pack the hearing",
        "March for transit",
        str(VISION["title"]),
        str(OFFER["title"]),
        'rel="alternate" type="application/activity+json"',
        'property="og:title"',
        "<main",
        'aria-label="Site"',
    ):
        assert expected in html, expected
    assert "Safehouse meeting" not in html
    assert "Last month" not in html  # not upcoming
    assert html.index("Pack the hearing") < html.index("March for transit")


async def test_actor_urls_serve_a_page_to_browsers_and_json_to_activitypub(
    site: Any,
) -> None:
    html = await page(site, "/actors/tenants")
    assert "Tenants Union" in html
    assert "Pack the hearing" in html
    assert "Safehouse meeting" not in html
    assert "@tenants@" in html
    resp = await site.get(
        "/actors/tenants", headers={"Accept": "application/activity+json"}
    )
    assert resp.status == 200
    assert (await resp.json())["type"] == "Group"

    cluster = await page(site, "/actors/transport")
    assert "March for transit" in cluster
    assert "Pack the hearing" not in cluster  # housing only


async def test_authors_are_named_and_upcoming_calls_are_not_listed_twice(
    site: Any,
) -> None:
    html = await page(site, "/actors/tenants")
    assert "by tenants" not in html
    assert 'Tenants Union</a> <span class="muted">@tenants@' in html
    # an upcoming call is under "Upcoming" only, not again under "Latest"
    assert html.count("Pack the hearing") == 1
    home = await page(site, "/")
    assert "by tenants " not in home
    assert ">Tenants Union</a>" in home
    path = site.made["soon"].split("://", 1)[1].split("/", 1)[1]
    assert 'Tenants Union</a> <span class="muted">@tenants@' in await page(
        site, f"/{path}"
    )


async def test_object_page_renders_public_objects_and_hides_followers_only(
    site: Any,
) -> None:
    path = site.made["soon"].split("://", 1)[1].split("/", 1)[1]
    html = await page(site, f"/{path}")
    assert "<h1>Pack the hearing</h1>" in html
    assert "<strong>steps</strong>" in html  # the Markdown body, rendered
    assert "Seattle City Hall" in html
    assert f'href="{site.made["soon"]}"' in html  # the alternate link
    secret = site.made["secret"].split("://", 1)[1].split("/", 1)[1]
    resp = await site.get(f"/{secret}", headers=HTML)
    assert resp.status == 404
    assert "Safehouse" not in await resp.text()


async def test_atom_feeds_parse_and_keep_to_the_audience(site: Any) -> None:
    resp = await site.get("/actors/tenants/feed.atom")
    assert resp.status == 200
    assert resp.content_type == "application/atom+xml"
    feed = feedparser.parse(await resp.read())
    assert not feed.bozo, feed.bozo_exception
    titles = [e.title for e in feed.entries]
    assert "Call to action: Pack the hearing" in titles
    assert f"Vision: {VISION['title']}" in titles
    assert not any("Safehouse" in t for t in titles)
    assert len(titles) == 5  # three public calls, the vision, the offer
    links = {e.link for e in feed.entries}
    assert site.made["offer"] in links

    cluster = feedparser.parse(
        await (await site.get("/actors/transport/feed.atom")).read()
    )
    assert {e.title for e in cluster.entries} == {
        "Call to action: March for transit",
        f"Capability offer: {OFFER['title']}",
    }
    assert (await site.get("/actors/nobody/feed.atom")).status == 404


async def test_icalendar_feeds_list_upcoming_public_calls(site: Any) -> None:
    async def events(name: str) -> dict[str, Any]:
        resp = await site.get(f"/actors/{name}/calendar.ics")
        assert resp.status == 200
        assert resp.content_type == "text/calendar"
        calendar = icalendar.Calendar.from_ical(await resp.read())
        return {str(e["SUMMARY"]): e for e in calendar.walk("VEVENT")}

    node = await events("node")
    assert set(node) == {"Pack the hearing", "March for transit"}
    hearing = node["Pack the hearing"]
    assert hearing["UID"] == site.made["soon"]
    assert "Seattle City Hall" in str(hearing["LOCATION"])
    start = hearing.decoded("DTSTART")
    assert start > datetime.now(UTC) + timedelta(days=2)
    assert hearing.decoded("DTEND") - start == timedelta(hours=2)
    assert set(await events("tenants")) == set(node)
    assert set(await events("transport")) == {"March for transit"}
    assert set(await events("riders")) == set()


async def test_the_movement_map_draws_groups_clusters_bridges_and_offers(
    site: Any,
) -> None:
    html = await page(site, "/map")
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert 'role="img"' in svg
    for label in ("Tenants Union", "Riders", "#housing", "#transport"):
        assert label in svg, label
    assert "(1 offer)" in svg
    # tenants publish in both clusters; the offer in both is the one bridge
    assert svg.count('class="link"') == 2
    assert svg.count('class="bridge"') == 1
    assert "bridge housing \u00d7 transport: 1 objects" in svg
    assert "Safehouse" not in html
    # the lists come first in the page (first on a phone), the drawing scrolls sideways
    assert html.index('class="map-lists"') < html.index('class="map-graph"')
    assert 'class="scroll"' in html
    # where: the two upcoming public calls with coordinates, as numbered pins; not the
    # past one, and never the followers-only one
    geo = html[html.index('<svg class="geo"') :]
    geo = geo[: geo.index("</svg>")]
    assert geo.count('class="pin"') == 2
    assert "<title>1. Pack the hearing</title>" in geo
    assert "Last month" not in geo
    assert "http" not in geo.replace(site.made["soon"], "").replace(
        site.made["later"], ""
    ).replace("http://www.w3.org/2000/svg", ""), "no other server is named"


async def test_calendar_times_are_in_the_calls_iana_zone_with_its_definition(
    site: Any,
) -> None:
    """DTSTART;TZID=America/Los_Angeles with a VTIMEZONE (not TZID="UTC-08:00", which a
    calendar app may read as floating or UTC), as two independent readers see it."""
    resp = await site.get("/actors/tenants/calendar.ics")
    raw = await resp.read()
    assert b"TZID=America/Los_Angeles" in raw
    assert b"UTC-08:00" not in raw
    calendar = icalendar.Calendar.from_ical(raw)
    zones = [str(z["TZID"]) for z in calendar.walk("VTIMEZONE")]
    assert zones == ["America/Los_Angeles"]
    hearing = next(
        e for e in calendar.walk("VEVENT") if str(e["SUMMARY"]) == "Pack the hearing"
    )
    start = hearing.decoded("DTSTART")
    assert str(start.tzinfo) == "America/Los_Angeles"
    # vobject: its own parser, reads the VTIMEZONE it is given
    parsed = vobject.readOne(raw.decode())
    event = next(e for e in parsed.vevent_list if e.summary.value == "Pack the hearing")
    other = event.dtstart.value
    assert other.utcoffset() == start.utcoffset()
    assert other.astimezone(UTC) == start.astimezone(UTC)
    assert other.tzinfo is not None  # zoned, not floating
    assert other.tzinfo.tzname(other) in ("PST", "PDT")  # from the VTIMEZONE we sent


async def test_a_call_page_says_when_where_and_how_to_help(site: Any) -> None:
    """Add to calendar (one event, in its own zone), an open map link from the stored
    coordinates, the asks as instructions, the organiser to follow; the Asks line is
    not printed again among the details."""
    path = "/" + site.made["soon"].split("://", 1)[1].split("/", 1)[1]
    html = await page(site, path)
    when_where = html[html.index('class="when-where"') : html.index("</section>")]
    assert "Add to your calendar" in when_where
    assert (
        'href="https://www.openstreetmap.org/?mlat=47.603600&amp;mlon=-122.329400'
        in when_where
    )
    how = html[html.index('id="how"') :]
    assert "Come, and bring people with you." in how
    assert "Bring what the call needs: legal support" in how
    assert "<code>@tenants@" in how
    assert 'action="/actors/tenants/follow"' in how, "the organiser's follow button"
    assert "Say you are coming" in how
    assert "No one has said they are coming yet" in html, "a count, even of none"
    assert "<dt>Asks</dt>" not in html

    resp = await site.get(f"{path}/event.ics")
    assert resp.status == 200
    assert resp.content_type == "text/calendar"
    calendar = icalendar.Calendar.from_ical(await resp.read())
    events = list(calendar.walk("VEVENT"))
    assert [str(e["summary"]) for e in events] == ["Pack the hearing"]
    assert str(events[0]["url"]) == site.made["soon"]
    # a followers-only call, a vision, an unknown id: no calendar entry for anyone
    for name in ("secret", "vision"):
        other = "/" + site.made[name].split("://", 1)[1].split("/", 1)[1]
        assert (await site.get(f"{other}/event.ics")).status == 404
    assert (await site.get("/actors/tenants/objects/nope/event.ics")).status == 404
