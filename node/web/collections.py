"""GET outbox, followers, following as paged OrderedCollections.

Follower lists are never itemised: movement members' social graphs must not be
harvestable; only `totalItems` is served.
"""

from __future__ import annotations

import json

from aiohttp import web

from federation.vocab import activities, collections as coll
from node.domain.actors import actor_url
from node.runtime import appkeys
from node.storage import follows, objects
from node.web.activitypub import AP_CONTENT_TYPE, activity_json, require_actor


def page_number(request: web.Request) -> int | None:
    try:
        return coll.parse_page(request.query.get("page"))
    except ValueError:
        raise web.HTTPBadRequest(reason="page must be a positive integer") from None


async def followers(request: web.Request) -> web.Response:
    actor = await require_actor(request)
    url = actor_url(request.app[appkeys.SETTINGS].url, actor) + "/followers"
    total = await follows.count_followers(request.app[appkeys.DB], actor.id)
    return activity_json(coll.collection(id=url, total=total, first=None))


async def following(request: web.Request) -> web.Response:
    actor = await require_actor(request)
    url = actor_url(request.app[appkeys.SETTINGS].url, actor) + "/following"
    number = page_number(request)
    total, items = await follows.following_page(
        request.app[appkeys.DB],
        actor.id,
        limit=coll.PAGE_SIZE,
        offset=((number or 1) - 1) * coll.PAGE_SIZE,
    )
    if number is None:
        return activity_json(
            coll.collection(id=url, total=total, first=f"{url}?page=1")
        )
    return activity_json(
        coll.page(collection_id=url, page_number=number, items=items, total=total)
    )


async def outbox(request: web.Request) -> web.Response:
    """GET /actors/{name}/outbox[?page=N]: public activities only, from this process's
    memory when it served the same page since the last publication."""
    number = page_number(request)
    name = request.match_info["name"]

    async def build() -> bytes:
        actor = await require_actor(request)
        pool = request.app[appkeys.DB]
        url = actor_url(request.app[appkeys.SETTINGS].url, actor) + "/outbox"
        total = await objects.public_outbox_count(pool, actor.id)
        if number is None:
            shown = coll.collection(id=url, total=total, first=f"{url}?page=1")
        else:
            bodies = await objects.public_outbox_page(
                pool,
                actor.id,
                limit=coll.PAGE_SIZE,
                offset=(number - 1) * coll.PAGE_SIZE,
            )
            items = [activities.embedded(body) for body in bodies]
            shown = coll.page(
                collection_id=url, page_number=number, items=items, total=total
            )
        return json.dumps(shown).encode()

    newest = await objects.newest_outbox_row(request.app[appkeys.DB])
    body = await request.app[appkeys.OUTBOX_PAGES].get(
        ("outbox", name, number), newest, build
    )
    response = web.Response(body=body, content_type=AP_CONTENT_TYPE, charset="utf-8")
    response.headers["Vary"] = "Accept, Signature"
    return response
