"""The node's own rate limits at the HTTP edge: 429 with Retry-After and the code
`rate_limited`, counted in /metrics by scope. Client keys are keyed hashes of the peer
address (node.runtime.ratelimit.client_key): no address is stored or logged."""

from __future__ import annotations

import math
import time

from aiohttp import web

from node.runtime import appkeys
from node.runtime.ratelimit import RateLimiter, client_key
from node.web.middleware import Refusal


def _refuse(request: web.Request, scope: str, wait: float) -> Refusal:
    request.app[appkeys.METRICS].rate_limited.labels(scope).inc()
    return Refusal(
        429,
        "rate_limited",
        f"too many requests ({scope.replace('_', ' ')}); try again later",
        headers={"Retry-After": str(max(1, math.ceil(wait)))},
    )


def hit(request: web.Request, limiter: RateLimiter, key: str, scope: str) -> None:
    """Count a request on `key`.

    Raises:
        Refusal: 429, when `key` is over its limit (the request is not counted).
    """
    wait = limiter.hit(key, time.monotonic())
    if wait is not None:
        raise _refuse(request, scope, wait)


def client(request: web.Request) -> str:
    return client_key(request.remote)


def before_auth(request: web.Request) -> None:
    """A client that failed too often waits before any token or sign-in is checked (so a
    guess after the limit is not even tried).

    Raises:
        Refusal: 429.
    """
    limiter = request.app[appkeys.LIMITS].failed_auth
    wait = limiter.waiting(client(request), time.monotonic())
    if wait is not None:
        raise _refuse(request, "failed_auth", wait)


def failed_auth(request: web.Request) -> None:
    """Count a wrong token or sign-in of this client.

    Raises:
        Refusal: 429 once it is over the limit.
    """
    hit(
        request, request.app[appkeys.LIMITS].failed_auth, client(request), "failed_auth"
    )
