"""A vision's plan over HTTP: `POST /api/v1/plan {vision, title, due, status, note}` (the
token's group takes on an item of any node's vision), `PUT /api/v1/plan?item=IRI {title,
due, status, note}` (its owner updates it), the public `GET /api/v1/plan?vision=IRI`, and
the plan's feeds: `VISION/plan.atom`, `VISION/plan.ics` (dated items)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from node.movement import planning as wire
from node.runtime import appkeys
from node.services import planning
from node.services.signed_notes import NoteError
from node.storage import pages as page_store, plan_items
from node.web import api, principal
from node.web.endorsements import endorser, object_iri, refusal
from node.web.naming import member_names
from node.web.paths import path_object_id


async def take_on(request: web.Request) -> web.Response:
    actor = await endorser(request)
    data = await api.json_body(request)
    try:
        note = await planning.take_on(
            request.app[appkeys.DB],
            base_url=request.app[appkeys.SETTINGS].url,
            remote=request.app[appkeys.REMOTE],
            actor=actor,
            data=data,
            now=request.app[appkeys.CLOCK](),
        )
    except planning.PlanInputError as exc:
        return api.invalid(exc.errors)
    except NoteError as exc:
        raise refusal(exc) from None
    principal.note(request, "plan_item", note["id"])
    return web.json_response(note, status=201, headers={"Location": note["id"]})


async def update(request: web.Request) -> web.Response:
    actor = await endorser(request)
    item = object_iri(request, "item", "an IRI")
    data = await api.json_body(request)
    try:
        note = await planning.update(
            request.app[appkeys.DB],
            base_url=request.app[appkeys.SETTINGS].url,
            remote=request.app[appkeys.REMOTE],
            actor=actor,
            item_id=item,
            data=data,
            now=request.app[appkeys.CLOCK](),
        )
    except planning.PlanInputError as exc:
        return api.invalid(exc.errors)
    except NoteError as exc:
        raise refusal(exc) from None
    principal.note(request, "plan_item_update", item)
    return web.json_response(note)


async def plan_of(
    pool: Any, base_url: str, vision: str, today: Any
) -> list[dict[str, Any]]:
    """The vision's plan items with their owners named and overdue ones marked."""
    rows = await plan_items.of_vision(pool, vision)
    names = await member_names(pool, base_url, [r["owner"] for r in rows])
    shown = []
    for name, row in zip(names, rows, strict=True):
        due = row["due"].isoformat() if row["due"] else None
        shown.append(
            {
                "id": row["id"],
                "title": row["title"],
                "status": row["status"],
                "status_label": wire.STATUS[row["status"]],
                "due": due,
                "overdue": wire.overdue(due, row["status"], today),
                "progress": list(row["progress"]),
                "owner_name": name["name"],
                "owner": name,
                "updated_at": row["updated_at"],
            }
        )
    return shown


async def listing(request: web.Request) -> web.Response:
    vision = object_iri(request, "vision", "an IRI")
    pool, base = request.app[appkeys.DB], request.app[appkeys.SETTINGS].url
    today = request.app[appkeys.CLOCK]().date()
    items = await plan_of(pool, base, vision, today)
    for item in items:
        item["updated_at"] = item["updated_at"].isoformat()
    return web.json_response({"vision": vision, "items": items})


async def _plan(request: web.Request) -> tuple[str, Any, list[dict[str, Any]], Any]:
    """The vision a `…/plan.*` path names (404 unless a public vision of ours), its plan,
    and the time now."""
    vision = path_object_id(request)
    pool, now = request.app[appkeys.DB], request.app[appkeys.CLOCK]()
    row = await page_store.public_object(pool, vision)
    if row is None or row["kind"] != "vision":
        raise web.HTTPNotFound(reason="no such vision")
    items = await plan_of(pool, request.app[appkeys.SETTINGS].url, vision, now.date())
    return vision, row, items, now


async def atom(request: web.Request) -> web.Response:
    vision, row, items, _now = await _plan(request)
    body = wire.plan_atom(
        vision=vision,
        title=row["fields"]["title"],
        items=items,
        updated=row["published"],
    )
    return web.Response(body=body, content_type="application/atom+xml", charset="utf-8")


async def calendar(request: web.Request) -> web.Response:
    vision, row, items, now = await _plan(request)
    body = wire.plan_icalendar(
        vision=vision, title=row["fields"]["title"], items=items, stamp=now
    )
    return web.Response(body=body, content_type="text/calendar", charset="utf-8")
