"""/.well-known: WebFinger, host-meta, NodeInfo (open: peers bootstrap from them)."""

from __future__ import annotations

from aiohttp import web

from federation import nodeinfo, webfinger
from federation.origin import authority
from node import __version__
from node.domain.actors import actor_url, local_name, profile_url
from node.runtime import appkeys
from node.storage import actors as store, objects
from node.web.activitypub import actor_document

JRD = "application/jrd+json"
NODEINFO_21 = (
    'application/json; profile="http://nodeinfo.diaspora.software/ns/schema/2.1#"'
)


def _name_for(resource: str, base_url: str, host: str) -> str | None:
    """The local actor name a resource refers to, None if not ours; raises WebFingerError if garbled."""
    if resource.startswith(("http://", "https://")):
        if resource.rstrip("/") == base_url:
            return ""
        return local_name(base_url, resource)
    acct = webfinger.parse_acct(resource)
    return acct.user if acct.host == host else None


async def webfinger_handler(request: web.Request) -> web.Response:
    settings = request.app[appkeys.SETTINGS]
    resource = request.query.get("resource", "").strip()
    if not resource:
        raise web.HTTPBadRequest(reason="the resource parameter is required")
    host = authority(settings.url)
    try:
        name = _name_for(resource, settings.url, host)
    except webfinger.WebFingerError as exc:
        raise web.HTTPBadRequest(reason=str(exc)) from None
    if name is None:
        raise web.HTTPNotFound(reason="not an account on this server")
    if name == "":  # FEP-d556: the server itself, answered by the instance actor
        jrd = webfinger.build_server_jrd(settings.url + "/", f"{settings.url}/actor")
        return web.json_response(
            jrd, content_type=JRD, headers={"Access-Control-Allow-Origin": "*"}
        )
    held = await actor_document(request, name)  # the cached actor, as /actors serves it
    if held is None:
        raise web.HTTPNotFound(reason="no such account")
    found = held.actor
    url = actor_url(settings.url, found)
    jrd = webfinger.build_jrd(
        f"acct:{found.name}@{host}", url, profile_url=profile_url(settings.url, found)
    )
    return web.json_response(
        jrd, content_type=JRD, headers={"Access-Control-Allow-Origin": "*"}
    )


async def host_meta(request: web.Request) -> web.Response:
    xrd = webfinger.host_meta_xrd(request.app[appkeys.SETTINGS].url)
    return web.Response(text=xrd, content_type="application/xrd+xml")


async def nodeinfo_index(request: web.Request) -> web.Response:
    base = request.app[appkeys.SETTINGS].url
    return web.json_response(
        nodeinfo.build_index(base, f"{base}/actor"),
        headers={"Access-Control-Allow-Origin": "*"},
    )


async def nodeinfo_document(request: web.Request) -> web.Response:
    settings = request.app[appkeys.SETTINGS]
    pool = request.app[appkeys.DB]
    usage = nodeinfo.Usage(
        local_actors=await store.count_local(pool),
        local_posts=await objects.count_public_live(pool),
    )
    metadata = {
        "nodeName": settings.place or authority(settings.url),
        "place": settings.place,
        "nodeActor": f"{settings.url}/actors/{settings.node_name}",
    }
    schema = "2.0" if request.path.endswith("/2.0") else "2.1"
    doc = nodeinfo.build_nodeinfo(
        software="movement-node",
        version=__version__,
        usage=usage,
        metadata=metadata,
        schema=schema,
    )
    return web.json_response(
        doc,
        content_type="application/json",
        headers={"Access-Control-Allow-Origin": "*"},
    )
