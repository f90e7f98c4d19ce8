"""Adapter: an aiohttp request as protocol code sees it, and who signed it."""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web

from federation.types import HttpRequest
from node.runtime import appkeys
from node.services import signatures


async def as_http_request(request: web.Request) -> HttpRequest:
    """The request as protocol code sees it; the URL is our public base URL + path."""
    body = await request.read()  # cached by aiohttp: safe to call twice
    url = request.app[appkeys.SETTINGS].url + request.path_qs
    return HttpRequest.build(request.method, url, request.headers.items(), body)


def is_signed(request: web.Request) -> bool:
    return "Signature" in request.headers or "Signature-Input" in request.headers


async def verified_signer(request: web.Request) -> str:
    """The actor id whose key validly signed `request` (node.services.signatures).

    Raises:
        SignatureFormatError, SignatureInvalidError, FetchRefusedError, DocumentError.
    """
    app = request.app
    return await signatures.verified_signer(
        await as_http_request(request),
        remote=app[appkeys.REMOTE],
        now=app[appkeys.CLOCK](),
        window=timedelta(seconds=app[appkeys.SETTINGS].signature_window),
    )
