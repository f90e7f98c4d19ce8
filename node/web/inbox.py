"""POST inbox: verify, refuse or accept quickly, store durably, answer 202."""

from __future__ import annotations

import json
from datetime import timedelta

from aiohttp import web

from federation import domains, jsonshape
from federation.errors import FederationError
from federation.sig.verify import claim_of
from node.runtime import appkeys
from node.services import intake
from node.web import throttle
from node.web.activitypub import require_actor
from node.web.middleware import Refusal
from node.web.signatures import as_http_request

_ACCEPTED = json.dumps({"status": "accepted"}).encode()


def _accepts_content_type(value: str) -> bool:
    media = value.partition(";")[0].strip().lower()
    return media in ("application/activity+json", "application/ld+json")


async def post_inbox(request: web.Request) -> web.Response:
    """POST /inbox and /actors/{name}/inbox, counted by result (and why it was refused)."""
    counter = request.app[appkeys.METRICS].inbox
    try:
        response, duplicate = await _post_inbox(request)
    except web.HTTPException as exc:
        counter.labels("rejected", getattr(exc, "code", str(exc.status))).inc()
        raise
    except FederationError as exc:
        counter.labels("rejected", exc.code).inc()
        raise
    counter.labels("duplicate" if duplicate else "accepted", "").inc()
    return response


def _throttle(request: web.Request, key_id: str) -> None:
    """Per remote host and per remote actor (the signing key's, before anything else is
    done for it): 429 over the limits."""
    limits = request.app[appkeys.LIMITS]
    host = domains.host_of(key_id) or key_id[:200]
    throttle.hit(request, limits.inbox_host, host, "inbox_host")
    throttle.hit(request, limits.inbox_actor, key_id.split("#", 1)[0], "inbox_actor")


async def _post_inbox(request: web.Request) -> tuple[web.Response, bool]:
    app = request.app
    settings, pool = app[appkeys.SETTINGS], app[appkeys.DB]
    if "name" in request.match_info:
        await require_actor(request)
    if not _accepts_content_type(request.headers.get("Content-Type", "")):
        raise web.HTTPUnsupportedMediaType(reason="send application/activity+json")
    message = await as_http_request(request)
    activity = jsonshape.parse(message.body)  # DocumentError: a 400 with its code
    claim = claim_of(message)
    _throttle(request, claim.key_id)
    try:
        received = await intake.receive(
            pool,
            message,
            activity,
            remote=app[appkeys.REMOTE],
            policy=app[appkeys.DOMAIN_POLICY],
            writer=app[appkeys.INBOX_WRITER],
            allowlist=settings.federation_mode == "allowlist",
            now=app[appkeys.CLOCK](),
            window=timedelta(seconds=settings.signature_window),
            claim=claim,
        )
    except intake.DomainRefusedError as exc:
        raise Refusal(403, "domain_blocked", str(exc)) from None
    if received.stored:
        app[appkeys.INBOX_WAKEUP].set()
    accepted = web.Response(body=_ACCEPTED, status=202, content_type="application/json")
    return accepted, not received.stored
