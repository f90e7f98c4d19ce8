"""A vision's earlier versions, each at OBJECT/versions/N: a page for people, the object
as it was for ActivityPub clients (the current one's page: `pages.history`)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from node.movement.render import sanitize_html
from node.movement.versions import changes
from node.runtime import appkeys
from node.storage import pages as page_store, versions
from node.web.activitypub import activity_json
from node.web.middleware import wants_html
from node.web.pages import render
from node.web.paths import path_object_id

VERSION_TERMS = {
    "isVersionOf": {"@id": "http://purl.org/dc/terms/isVersionOf", "@type": "@id"}
}


def as_version(body: dict[str, Any], number: int) -> dict[str, Any]:
    """The object as it was, as a document of its own: its id is the version's IRI
    (what was fetched is what it says it is) and `isVersionOf` names the object."""
    vision = body["id"]
    version = f"{vision}/versions/{number}"
    context = body.get("@context", [])
    context = [*(context if isinstance(context, list) else [context]), VERSION_TERMS]
    return body | {
        "@context": context,
        "id": version,
        "url": version,
        "isVersionOf": vision,
    }


async def version(request: web.Request) -> web.StreamResponse:
    """GET /actors/{name}/objects/{object_id}/versions/{n}: an earlier version of a public
    object of ours (404 for anything else)."""
    pool = request.app[appkeys.DB]
    object_id = path_object_id(request)
    raw = request.match_info["n"]
    row = await page_store.public_object(pool, object_id)
    wanted = int(raw) if raw.isdigit() and len(raw) < 6 else 0
    found = await versions.one(pool, object_id, wanted) if wanted else None
    # the current version is VISION/versions/N too (N: the earlier ones plus one), so an
    # adoption can name it, and still names it after the next edit
    current = found is None and wanted > 0
    if (
        row is not None
        and current
        and wanted == len(await versions.earlier(pool, object_id)) + 1
    ):
        if wants_html(request):
            raise web.HTTPSeeOther(location=object_id)
        return activity_json(as_version(dict(row["body"]), wanted))
    if row is None or found is None:
        raise web.HTTPNotFound(reason="no such version")
    if not wants_html(request):
        return activity_json(as_version(dict(found["body"]), wanted))
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
