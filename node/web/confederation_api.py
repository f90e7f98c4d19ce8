"""The confederations API: what this node takes part in, and a replica's aggregated feed
(filtered by kind and cluster). Read-only and public: members and decisions are public
protocol data; governing (found, join, vote, leave) is the node operator's, on the CLI."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from node.confederation.governance import describe, describe_all
from node.movement.schemas import KINDS
from node.runtime import appkeys
from node.storage import actors as store, confederations as cstore, pages
from node.storage.confederations import Confederation

FEED_PAGE = 50


async def _view(request: web.Request, conf: Confederation) -> dict[str, Any]:
    return await describe(
        request.app[appkeys.DB], request.app[appkeys.SETTINGS].url, conf
    )


async def _named(request: web.Request) -> Confederation:
    conf = await cstore.by_name(request.app[appkeys.DB], request.match_info["name"])
    if conf is None:
        raise web.HTTPNotFound(reason="no such confederation on this node")
    return conf


async def list_confederations(request: web.Request) -> web.Response:
    shown = await describe_all(
        request.app[appkeys.DB], request.app[appkeys.SETTINGS].url
    )
    return web.json_response({"items": shown})


async def show(request: web.Request) -> web.Response:
    return web.json_response(await _view(request, await _named(request)))


async def feed(request: web.Request) -> web.Response:
    """GET /api/v1/confederations/{name}/objects?kind=&cluster= — what this replica
    announced, newest first: the confederation-level feed (of one cluster, if asked)."""
    conf = await _named(request)
    kind = request.query.get("kind")
    if kind is not None and kind not in KINDS:
        raise web.HTTPBadRequest(reason=f"kind: must be one of {', '.join(KINDS)}")
    pool = request.app[appkeys.DB]
    replica = (
        None
        if conf.replica_actor_id is None
        else await store.local_by_id(pool, conf.replica_actor_id)
    )
    rows = (
        []
        if replica is None  # asked to join, not admitted yet: nothing announced
        else await pages.objects_of(
            pool,
            replica,
            kind=kind,
            cluster=request.query.get("cluster"),
            limit=FEED_PAGE,
        )
    )
    return web.json_response(
        {
            "confederation": conf.id,
            "items": [
                {
                    "id": r["id"],
                    "kind": r["kind"],
                    "fields": r["fields"],
                    "clusters": r["clusters"],
                    "object": r["body"],
                    "announced": r["published"].isoformat(),  # when it announced it
                }
                for r in rows
            ],
        }
    )
