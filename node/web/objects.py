"""GET local objects: audience and authorized fetch enforced; Tombstones answer 410."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from federation.inbox import as_list
from node.runtime import appkeys
from node.web import pages
from node.web.activitypub import activity_json
from node.web.middleware import wants_html
from node.web.signatures import is_signed, verified_signer


async def _counts(request: web.Request, object_id: str) -> dict[str, Any]:
    pool = request.app[appkeys.DB]
    replies = await pool.fetch(
        "SELECT id FROM remote_objects WHERE in_reply_to = $1 AND deleted_at IS NULL ORDER BY received_at LIMIT 50",
        object_id,
    )
    reply_total = await pool.fetchval(
        "SELECT count(*) FROM remote_objects WHERE in_reply_to = $1 AND deleted_at IS NULL",
        object_id,
    )
    reactions = {
        r["type"]: r["n"]
        for r in await pool.fetch(
            "SELECT type, count(*) AS n FROM reactions WHERE object_id = $1 GROUP BY type",
            object_id,
        )
    }
    return {
        "replies": {
            "id": f"{object_id}/replies",
            "type": "Collection",
            "totalItems": reply_total,
            "first": {
                "type": "CollectionPage",
                "partOf": f"{object_id}/replies",
                "items": [r["id"] for r in replies],
            },
        },
        "likes": {
            "id": f"{object_id}/likes",
            "type": "Collection",
            "totalItems": reactions.get("Like", 0),
        },
        "shares": {
            "id": f"{object_id}/shares",
            "type": "Collection",
            "totalItems": reactions.get("Announce", 0),
        },
    }


async def _may_see(
    request: web.Request, local_actor_id: int, body: dict[str, Any]
) -> bool:
    """Whether a signed request comes from someone the object is addressed to: an accepted
    follower of its author when it is addressed to the followers, else only the actors it
    names (a direct message)."""
    if not is_signed(request):
        return False
    signer = await verified_signer(request)
    audience = {*as_list(body.get("to")), *as_list(body.get("cc"))}
    if signer in audience:
        return True
    if f"{body.get('attributedTo')}/followers" not in audience:
        return False
    return bool(
        await request.app[appkeys.DB].fetchval(
            """SELECT 1 FROM followers
               WHERE local_actor_id = $1 AND follower = $2 AND state = 'accepted'""",
            local_actor_id,
            signer,
        )
    )


async def get_object(request: web.Request) -> web.StreamResponse:
    """GET /actors/{name}/objects/{id}. A followers-only object is served only to a signed
    request from an accepted follower of its author (404 to everyone else, never as HTML)."""
    settings = request.app[appkeys.SETTINGS]
    object_id = f"{settings.url}{request.path}"
    row = await request.app[appkeys.DB].fetchrow(
        "SELECT body, public, deleted_at, local_actor_id FROM objects WHERE id = $1",
        object_id,
    )
    if row is None:
        raise web.HTTPNotFound(reason="no such object")
    if not row["public"] and (
        wants_html(request)
        or not await _may_see(request, row["local_actor_id"], dict(row["body"]))
    ):
        raise web.HTTPNotFound(reason="no such object")
    if row["deleted_at"] is not None:
        return activity_json({"id": object_id, "type": "Tombstone"}, status=410)
    body: dict[str, Any] = dict(row["body"])
    if wants_html(request):
        return await pages.object_page(request, object_id)
    if row["public"]:
        if is_signed(request):
            await verified_signer(request)
        elif settings.authorized_fetch:
            raise web.HTTPUnauthorized(reason="authorized fetch: sign your request")
    return activity_json({**body, **await _counts(request, object_id)})
