"""The subscribable feeds of every actor: Atom (feedgen) and iCalendar (icalendar) of its
public objects, built from the same views as the pages."""

from __future__ import annotations

from aiohttp import web

from node.domain.actors import actor_url
from node.movement import feeds
from node.runtime import appkeys
from node.storage import pages
from node.web.activitypub import require_actor
from node.web.naming import named
from node.web.pages import PAGE_ITEMS
from node.web.paths import path_object_id


async def atom(request: web.Request) -> web.Response:
    """GET /actors/{name}/feed.atom — the actor's public objects (a cluster's: tagged with it)."""
    actor = await require_actor(request)
    settings = request.app[appkeys.SETTINGS]
    me = actor_url(settings.url, actor)
    rows = await pages.objects_of(request.app[appkeys.DB], actor, limit=PAGE_ITEMS)
    body = feeds.atom(
        feed_id=me,
        title=actor.display_name or actor.name,
        subtitle=actor.summary,
        page_url=me,
        feed_url=f"{me}/feed.atom",
        items=await named(request.app[appkeys.DB], settings.url, rows),
        updated=actor.created_at,
    )
    return web.Response(
        body=body,
        content_type="application/atom+xml",
        charset="utf-8",
        headers={"Cache-Control": "public, max-age=300"},
    )


async def calendar(request: web.Request) -> web.Response:
    """GET /actors/{name}/calendar.ics — the actor's public calls to action with a time
    (the node's: every group's; a cluster's; a confederation's, as its replica relayed them)."""
    actor = await require_actor(request)
    settings = request.app[appkeys.SETTINGS]
    now = request.app[appkeys.CLOCK]()
    rows = await pages.upcoming_calls(request.app[appkeys.DB], actor, now)
    body = feeds.icalendar(
        name=actor.display_name or actor.name,
        url=actor_url(settings.url, actor),
        items=await named(request.app[appkeys.DB], settings.url, rows),
        stamp=now,
    )
    return _calendar(body)


def _calendar(body: bytes, **headers: str) -> web.Response:
    return web.Response(
        body=body,
        content_type="text/calendar",
        charset="utf-8",
        headers={"Cache-Control": "public, max-age=300", **headers},
    )


async def event(request: web.Request) -> web.Response:
    """GET /actors/{name}/objects/{id}/event.ics — one call to action, to add to a
    calendar (404 unless it is a public call with a time)."""
    settings = request.app[appkeys.SETTINGS]
    object_id = path_object_id(request)
    pool = request.app[appkeys.DB]
    row = await pages.public_object(pool, object_id)
    shown = (
        []
        if row is None or row["kind"] != "call"
        else await named(pool, settings.url, [row])
    )
    if not shown or shown[0].start is None:
        raise web.HTTPNotFound(reason="no public call to action with a time here")
    body = feeds.icalendar(
        name=shown[0].title,
        url=object_id,
        items=shown,
        stamp=request.app[appkeys.CLOCK](),
    )
    return _calendar(body, **{"Content-Disposition": 'attachment; filename="call.ics"'})
