"""The confederations API: what this node takes part in, and a replica's aggregated feed
(filtered by kind and cluster). Read-only and public: members and decisions are public
protocol data; governing (found, join, vote, leave) is the node operator's, on the CLI."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from node import keys
from node.movement.schemas import KINDS
from node.services.confederations import describe
from node.storage import confederations as cstore
from node.storage.confederations import Confederation

FEED_PAGE = 50


async def _view(request: web.Request, conf: Confederation) -> dict[str, Any]:
    return await describe(request.app[keys.DB], request.app[keys.SETTINGS].url, conf)


async def _named(request: web.Request) -> Confederation:
    conf = await cstore.by_name(request.app[keys.DB], request.match_info["name"])
    if conf is None:
        raise web.HTTPNotFound(reason="no such confederation on this node")
    return conf


async def list_confederations(request: web.Request) -> web.Response:
    confs = await cstore.all_(request.app[keys.DB])
    return web.json_response({"items": [await _view(request, c) for c in confs]})


async def show(request: web.Request) -> web.Response:
    return web.json_response(await _view(request, await _named(request)))


async def feed(request: web.Request) -> web.Response:
    """GET /api/v1/confederations/{name}/objects?kind=&cluster= — what this replica
    announced, newest first: the confederation-level feed (of one cluster, if asked)."""
    conf = await _named(request)
    kind = request.query.get("kind")
    if kind is not None and kind not in KINDS:
        raise web.HTTPBadRequest(reason=f"kind: must be one of {', '.join(KINDS)}")
    rows = await request.app[keys.DB].fetch(
        f"""SELECT o.id, o.kind, o.fields, o.body, o.clusters, a.announced_at
            FROM confederation_announced a
            JOIN (SELECT id, kind, fields, body, clusters FROM objects
                   WHERE public AND deleted_at IS NULL
                  UNION ALL
                  SELECT id, kind, fields, body, clusters FROM remote_objects
                   WHERE public AND deleted_at IS NULL) o ON o.id = a.object_id
            WHERE a.replica_actor_id = $1
              AND ($2::text IS NULL OR o.kind = $2)
              AND ($3::text IS NULL OR $3 = ANY(o.clusters))
            ORDER BY a.announced_at DESC LIMIT {FEED_PAGE}""",
        conf.replica_actor_id,
        kind,
        request.query.get("cluster"),
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
                    "announced": r["announced_at"].isoformat(),
                }
                for r in rows
            ],
        }
    )
