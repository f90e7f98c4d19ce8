"""ActivityPub documents: local actors and the instance actor (audience and authorized fetch enforced)."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from aiohttp import web

from federation.vocab.actors import ActorInfo, build_actor
from node.confederation.records import (
    cluster_actor_properties,
    movement_actor_properties,
    replica_properties,
)
from node.domain.actors import INSTANCE_NAME, LocalActor, actor_url, to_actor_info
from node.runtime import appkeys
from node.services.actor_documents import ActorDocument
from node.storage import actors as store, confederations as cstore, objects
from node.web import pages
from node.web.middleware import wants_html
from node.web.signatures import is_signed, verified_signer

AP_CONTENT_TYPE = "application/activity+json"
CONFEDERATION_KINDS = frozenset({"confederation", "confederation_cluster"})
MOVEMENT_KINDS = frozenset({"node", "group", "cluster"})
PAGE_HELD_KINDS = frozenset({"group", "cluster"})


def activity_json(document: dict[str, Any], *, status: int = 200) -> web.Response:
    response = web.json_response(document, status=status, content_type=AP_CONTENT_TYPE)
    response.headers["Vary"] = "Accept, Signature"
    return response


async def _info(request: web.Request, actor: LocalActor) -> ActorInfo:
    pool = request.app[appkeys.DB]
    base_url = request.app[appkeys.SETTINGS].url
    graced = await store.graced_keys(pool, actor.id, request.app[appkeys.CLOCK]())
    info = to_actor_info(base_url, actor, graced)
    if actor.kind == "confederation":
        conf = await cstore.by_replica(pool, actor.id)
        if conf is not None:
            extra = replica_properties(
                actor_url(base_url, actor), conf.id, conf.charter
            )
            info = replace(info, extra=tuple(extra.items()))
    elif actor.kind == "confederation_cluster":
        part = await cstore.of_cluster_actor(pool, actor.id)
        if part is not None:
            extra = cluster_actor_properties(confederation=part[0], cluster=part[1])
            info = replace(info, extra=tuple(extra.items()))
    elif actor.kind in MOVEMENT_KINDS:
        extra = movement_actor_properties(actor.kind)
        info = replace(info, extra=tuple(extra.items()))
    return info


async def require_actor(request: web.Request) -> LocalActor:
    """The local actor named in the path (`{name}`), or 404; the instance actor has no such path."""
    found = await store.local_by_name(
        request.app[appkeys.DB], request.match_info["name"]
    )
    if found is None or found.kind == "instance":
        raise web.HTTPNotFound(reason="no such actor")
    return found


async def actor(request: web.Request) -> web.StreamResponse:
    """GET /actors/{name}: the page for browsers, the document for ActivityPub clients.

    With authorized fetch on, an unsigned GET gets only the technical fields (the public
    key document peers need to bootstrap), as Mastodon's secure mode does; a signed GET
    must verify (401 otherwise) and gets the full document.
    """
    settings = request.app[appkeys.SETTINGS]
    if wants_html(request):
        return await _actor_page(request)
    held = await actor_document(request, request.match_info["name"])
    if held is None or held.actor.kind == "instance":
        raise web.HTTPNotFound(reason="no such actor")
    full = True
    if is_signed(request):
        await verified_signer(request)
    elif settings.authorized_fetch:
        full = False
    return _serialized(held.full if full else held.bare)


async def _actor_page(request: web.Request) -> web.Response:
    """A group's or cluster's page changes only when something is published (and as its
    upcoming calls begin, which MAX_AGE bounds): served from memory like outbox pages."""
    held = await actor_document(request, request.match_info["name"])
    if held is None or held.actor.kind == "instance":
        raise web.HTTPNotFound(reason="no such actor")
    if held.actor.kind not in PAGE_HELD_KINDS:
        return await pages.actor_page(request, held.actor)

    async def build() -> bytes:
        rendered = await pages.actor_page(request, held.actor)
        return (rendered.text or "").encode()

    newest = await objects.newest_outbox_row(request.app[appkeys.DB])
    body = await request.app[appkeys.OUTBOX_PAGES].get(
        ("html", held.actor.name), newest, build
    )
    return pages.html_response(request, body)


async def instance_actor(request: web.Request) -> web.StreamResponse:
    """GET /actor: the instance actor (FEP-2677/d556); always open, peers need it to verify us."""
    held = await actor_document(request, INSTANCE_NAME)
    if held is None:
        raise web.HTTPNotFound(reason="no instance actor")
    return _serialized(held.full)


async def actor_document(request: web.Request, name: str) -> ActorDocument | None:
    """Local actor `name`'s document, from this process's cache when it holds it."""

    async def build() -> ActorDocument | None:
        found = await store.local_by_name(request.app[appkeys.DB], name)
        if found is None:
            return None
        info = await _info(request, found)
        return ActorDocument(
            found,
            full=json.dumps(build_actor(info)).encode(),
            bare=json.dumps(build_actor(info, full=False)).encode(),
            # a replica before its confederation is known lacks its properties
            cacheable=found.kind not in CONFEDERATION_KINDS or bool(info.extra),
        )

    return await request.app[appkeys.ACTOR_DOCUMENTS].get(name, build)


def _serialized(body: bytes) -> web.Response:
    response = web.Response(body=body, content_type=AP_CONTENT_TYPE, charset="utf-8")
    response.headers["Vary"] = "Accept, Signature"
    return response
