"""POST inbox: verify, refuse or accept quickly, store durably, answer 202."""

from __future__ import annotations

import json

import structlog
from aiohttp import web

from federation.errors import FederationError
from federation.inbox import accept
from federation.jsonshape import check_shape
from federation.origin import authority
from federation.sig.verify import claim_of
from node.runtime import appkeys
from node.storage import domains, inbox
from node.web.activitypub import require_actor
from node.web.signatures import as_http_request, verified_signer

log = structlog.get_logger(__name__)


def _accepts_content_type(value: str) -> bool:
    media = value.partition(";")[0].strip().lower()
    return media in ("application/activity+json", "application/ld+json")


async def post_inbox(request: web.Request) -> web.Response:
    """POST /inbox and /actors/{name}/inbox, counted by result (and why it was refused)."""
    counter = request.app[appkeys.METRICS].inbox
    try:
        response, duplicate = await _post_inbox(request)
    except web.HTTPException as exc:
        counter.labels("rejected", str(exc.status)).inc()
        raise
    except FederationError as exc:
        counter.labels("rejected", exc.__class__.__name__).inc()
        raise
    counter.labels("duplicate" if duplicate else "accepted", "").inc()
    return response


async def _post_inbox(request: web.Request) -> tuple[web.Response, bool]:
    app = request.app
    settings, pool = app[appkeys.SETTINGS], app[appkeys.DB]
    if "name" in request.match_info:
        await require_actor(request)
    if not _accepts_content_type(request.headers.get("Content-Type", "")):
        raise web.HTTPUnsupportedMediaType(reason="send application/activity+json")
    message = await as_http_request(request)
    try:
        activity = json.loads(message.body)
        check_shape(activity)
    except ValueError:
        raise web.HTTPBadRequest(reason="body is not JSON") from None
    claim = claim_of(message)
    allowlist = settings.federation_mode == "allowlist"
    urls = (claim.key_id, activity.get("actor") if isinstance(activity, dict) else None)
    hosts = {
        authority(u)
        for u in urls
        if isinstance(u, str) and u.startswith(("http://", "https://"))
    }
    for host in hosts:
        if await domains.is_refused(pool, host, allowlist_mode=allowlist):
            raise web.HTTPForbidden(
                reason="this server does not federate with your domain"
            )
    signer = await verified_signer(request)
    incoming = accept(activity, signer=signer)
    stored = await inbox.insert(
        pool,
        activity_id=incoming.id,
        actor=incoming.actor,
        type_=incoming.type,
        body=incoming.raw,
    )
    log.info(
        "inbox_accepted" if stored else "inbox_duplicate",
        type=incoming.type,
        activity_id=incoming.id,
        actor=incoming.actor,
    )
    if stored:
        app[appkeys.INBOX_WAKEUP].set()
    return web.json_response({"status": "accepted"}, status=202), not stored
