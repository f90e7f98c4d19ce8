"""Adapter: verify the HTTP signature of an incoming aiohttp request."""

from __future__ import annotations

from datetime import timedelta

import structlog
from aiohttp import web

from federation.errors import SignatureExpiredError, SignatureInvalidError
from federation.sig.verify import claim_of, verify_request
from federation.types import HttpRequest
from node.runtime import appkeys

log = structlog.get_logger(__name__)


async def as_http_request(request: web.Request) -> HttpRequest:
    """The request as protocol code sees it; the URL is our public base URL + path."""
    body = await request.read()  # cached by aiohttp: safe to call twice
    url = request.app[appkeys.SETTINGS].url + request.path_qs
    return HttpRequest.build(request.method, url, request.headers.items(), body)


def is_signed(request: web.Request) -> bool:
    return "Signature" in request.headers or "Signature-Input" in request.headers


async def verified_signer(request: web.Request) -> str:
    """The actor id whose key validly signed `request`.

    A failure with a cached key refetches the key once (the peer may have rotated it).

    Raises:
        SignatureFormatError, SignatureInvalidError, FetchRefusedError, DocumentError.
    """
    app = request.app
    settings = app[appkeys.SETTINGS]
    message = await as_http_request(request)
    claim = claim_of(message)
    remote = app[appkeys.REMOTE]
    window = timedelta(seconds=settings.signature_window)
    resolved = await remote.key_for(claim.key_id)
    try:
        verify_request(
            message, resolved.public_key, now=app[appkeys.CLOCK](), window=window
        )
    except SignatureExpiredError:
        raise
    except SignatureInvalidError:
        if not resolved.cached:
            raise
        log.info("signature_key_refetch", key_id=claim.key_id)
        resolved = await remote.key_for(claim.key_id, refresh=True)
        verify_request(
            message, resolved.public_key, now=app[appkeys.CLOCK](), window=window
        )
    structlog.contextvars.bind_contextvars(signer=resolved.owner)
    return resolved.owner
