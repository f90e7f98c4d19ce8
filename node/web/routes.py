"""The route table: path -> handler, nothing else."""

from __future__ import annotations

from aiohttp import web

from node.web import activitypub, collections, health, inbox, objects, wellknown


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/healthz", health.healthz)
    app.router.add_get("/.well-known/webfinger", wellknown.webfinger_handler)
    app.router.add_get("/.well-known/host-meta", wellknown.host_meta)
    app.router.add_get("/.well-known/nodeinfo", wellknown.nodeinfo_index)
    app.router.add_get("/nodeinfo/2.1", wellknown.nodeinfo_document)
    app.router.add_get("/actor", activitypub.instance_actor)
    app.router.add_get("/actors/{name}", activitypub.actor)
    app.router.add_post("/inbox", inbox.post_inbox)
    app.router.add_post("/actors/{name}/inbox", inbox.post_inbox)
    app.router.add_get("/actors/{name}/outbox", collections.outbox)
    app.router.add_get("/actors/{name}/followers", collections.followers)
    app.router.add_get("/actors/{name}/following", collections.following)
    app.router.add_get("/actors/{name}/objects/{object_id}", objects.get_object)
