"""GET local objects: audience and authorized fetch enforced; Tombstones answer 410."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from federation.audience import Audience, Reader, can_read
from node.runtime import appkeys
from node.storage import follows as follows_store, objects, pledges, remote_objects
from node.web import pages
from node.web.activitypub import activity_json
from node.web.middleware import wants_html
from node.web.signatures import is_signed, verified_signer


async def _counts(
    request: web.Request, object_id: str, body: dict[str, Any]
) -> dict[str, Any]:
    pool = request.app[appkeys.DB]
    extra: dict[str, Any] = {}
    if body.get("type") == "Event":
        # as Mobilizon counts its participants (who they are is never served)
        extra["participantCount"] = (await pledges.counts(pool, object_id))["going"]
    replies = await remote_objects.reply_ids(pool, object_id)
    reply_total = await remote_objects.reply_count(pool, object_id)
    reactions = await remote_objects.reaction_counts(pool, object_id)
    return {
        "replies": {
            "id": f"{object_id}/replies",
            "type": "Collection",
            "totalItems": reply_total,
            "first": {
                "type": "CollectionPage",
                "partOf": f"{object_id}/replies",
                "items": replies,
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
        **extra,
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
    audience = Audience.of(body)
    follows = audience.to_followers and await follows_store.is_accepted_follower(
        request.app[appkeys.DB], local_actor_id, signer
    )
    return can_read(audience, Reader(signer, follows_author=follows))


async def get_object(request: web.Request) -> web.StreamResponse:
    """GET /actors/{name}/objects/{id}. A followers-only object is served only to a signed
    request from an accepted follower of its author (404 to everyone else, never as HTML)."""
    settings = request.app[appkeys.SETTINGS]
    object_id = f"{settings.url}{request.path}"
    row = await objects.served(request.app[appkeys.DB], object_id)
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
    return activity_json({**body, **await _counts(request, object_id, body)})
