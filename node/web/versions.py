"""A vision's earlier versions, each at OBJECT/versions/N: a page for people, the object
as it was for ActivityPub clients (the current one's page: `pages.history`)."""

from __future__ import annotations

from aiohttp import web

from node.movement.render import sanitize_html
from node.movement.versions import changes
from node.runtime import appkeys
from node.storage import pages as page_store, versions
from node.web.activitypub import activity_json
from node.web.middleware import wants_html
from node.web.pages import render


async def version(request: web.Request) -> web.StreamResponse:
    """GET /actors/{name}/objects/{object_id}/versions/{n}: an earlier version of a public
    object of ours (404 for anything else)."""
    settings, pool = request.app[appkeys.SETTINGS], request.app[appkeys.DB]
    base = f"{settings.url}/actors/{request.match_info['name']}/objects"
    object_id = f"{base}/{request.match_info['object_id']}"
    raw = request.match_info["n"]
    row = await page_store.public_object(pool, object_id)
    found = (
        await versions.one(pool, object_id, int(raw))
        if raw.isdigit() and len(raw) < 6
        else None
    )
    if row is None or found is None:
        raise web.HTTPNotFound(reason="no such version")
    if not wants_html(request):
        return activity_json(dict(found["body"]))
    earlier = await versions.earlier(pool, object_id)
    before = next(
        (dict(r["fields"]) for r in earlier if r["version"] == found["version"] - 1),
        None,
    )
    return render(
        request,
        "version.html",
        {
            "object_id": object_id,
            "number": found["version"],
            "current": len(earlier) + 1,
            "fields": dict(found["fields"]),
            "html": sanitize_html(str(dict(found["body"]).get("content", ""))),
            "made_at": found["made_at"],
            "changes": changes(before, dict(found["fields"])) if before else [],
            "description": f"Version {found['version']} of a vision",
        },
    )
