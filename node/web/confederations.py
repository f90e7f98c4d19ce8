"""A replica's confederation documents: its charter, `members` and `decisions` (open to
every peer: a newcomer or a replica that was offline catches up from any of them)."""

from __future__ import annotations

from aiohttp import web

from federation.vocab import collections as coll
from node.domain.actors import LocalActor, actor_url
from node.runtime import appkeys
from node.storage import confederations as cstore
from node.storage.confederations import Confederation
from node.web.activitypub import activity_json, require_actor
from node.web.collections import page_number

DECISIONS_PAGE = 100


async def _replica(request: web.Request) -> tuple[LocalActor, Confederation]:
    actor = await require_actor(request)
    conf = (
        await cstore.by_replica(request.app[appkeys.DB], actor.id)
        if actor.kind == "confederation"
        else None
    )
    if conf is None:
        raise web.HTTPNotFound(reason="not a confederation replica")
    return actor, conf


async def charter(request: web.Request) -> web.Response:
    _actor, conf = await _replica(request)
    return activity_json(conf.charter)


async def members(request: web.Request) -> web.Response:
    actor, conf = await _replica(request)
    url = actor_url(request.app[appkeys.SETTINGS].url, actor) + "/members"
    items = await cstore.members(request.app[appkeys.DB], conf.id)
    number = page_number(request)
    if number is None:
        return activity_json(
            coll.collection(id=url, total=len(items), first=f"{url}?page=1")
        )
    start = (number - 1) * coll.PAGE_SIZE
    return activity_json(
        coll.page(
            collection_id=url,
            page_number=number,
            items=items[start : start + coll.PAGE_SIZE],
            total=len(items),
        )
    )


async def decisions(request: web.Request) -> web.Response:
    """The charter, then every record in (published, id) order: what each replica folds."""
    actor, conf = await _replica(request)
    pool = request.app[appkeys.DB]
    url = actor_url(request.app[appkeys.SETTINGS].url, actor) + "/decisions"
    total = 1 + await cstore.count_records(pool, conf.id)
    number = page_number(request)
    if number is None:
        return activity_json(
            coll.collection(id=url, total=total, first=f"{url}?page=1")
        )
    offset = (number - 1) * DECISIONS_PAGE
    items = [conf.charter] if offset == 0 else []
    items += await cstore.records_page(
        pool,
        conf.id,
        limit=DECISIONS_PAGE - len(items),
        offset=max(0, offset - 1),
    )
    return activity_json(
        coll.page(
            collection_id=url,
            page_number=number,
            items=items,
            total=total,
            page_size=DECISIONS_PAGE,
        )
    )
