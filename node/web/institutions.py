"""GET /institutions: the new institutions the movement's visions call for (a public bank,
a social housing agency, a community food system…), across this node's visions and those its
confederations brought, with what each is for, how far it has come, who champions it and
which vision calls for it — by name, never as a URL."""

from __future__ import annotations

from aiohttp import web

from node.movement.wire import INSTITUTION_STATUS
from node.runtime import appkeys
from node.storage import objects
from node.web.naming import member_names
from node.web.pages import render

VISIONS_READ = 200


async def listing(request: web.Request) -> web.Response:
    pool, base = request.app[appkeys.DB], request.app[appkeys.SETTINGS].url
    rows = await objects.public_movement(
        pool, kind="vision", cluster=None, since=None, before=None, limit=VISIONS_READ
    )
    calling = [
        (row, institution)
        for row in rows
        for institution in (dict(row["fields"] or {}).get("institutions") or [])
        if isinstance(institution, dict)
    ]
    people = sorted(
        {str(row["body"].get("attributedTo", "")) for row, _i in calling}
        | {c for _r, i in calling for c in i.get("champions", [])}
    )
    names = dict(zip(people, await member_names(pool, base, people), strict=True))
    shown = [
        {
            "name": institution["name"],
            "purpose": institution["purpose"],
            "status": INSTITUTION_STATUS.get(institution.get("status", "proposed"), ""),
            "champions": [names[c] for c in institution.get("champions", [])],
            "vision": {"id": row["id"], "title": row["fields"]["title"]},
            "author": names.get(str(row["body"].get("attributedTo", ""))),
        }
        for row, institution in calling
    ]
    shown.sort(key=lambda i: (i["status"] == "dropped", i["name"].lower()))
    return render(
        request,
        "institutions.html",
        {
            "institutions": shown,
            "description": "The new institutions the movement's visions call for.",
        },
    )
