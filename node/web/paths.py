"""What a path names: the local object behind `/actors/{name}/objects/{object_id}/…`."""

from __future__ import annotations

from aiohttp import web

from node.runtime import appkeys


def path_object_id(request: web.Request) -> str:
    """The id of the object a `/actors/{name}/objects/{object_id}/…` path is about."""
    base = request.app[appkeys.SETTINGS].url
    name, key = request.match_info["name"], request.match_info["object_id"]
    return f"{base}/actors/{name}/objects/{key}"
