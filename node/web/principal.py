"""Who a request acts as (a session's or a token's principal), the role checks at the
edge, and the audit trail's middleware: every request that changes or sends something,
by anyone signed in or holding a token, leaves a line before its answer goes out."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from node.domain.access import Acting, Need
from node.domain.actors import LocalActor
from node.runtime import appkeys
from node.runtime.metrics import route_of
from node.services import audit
from node.storage import tokens
from node.web import throttle
from node.web.middleware import loggable

ACTING = web.RequestKey("acting", Acting)
AUDIT = web.RequestKey("audit", tuple)  # (action, target, detail) a handler chose
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="movement-node"'}
_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def note(
    request: web.Request,
    action: str,
    target: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Name what this request did, for its line in the audit trail (a read of something
    sensitive, such as who pledged, is noted too)."""
    request[AUDIT] = (action, target, detail or {})


def acting(request: web.Request) -> Acting | None:
    return request.get(ACTING)


def unauthorized(*, why: str) -> web.HTTPUnauthorized:
    return web.HTTPUnauthorized(reason=why, headers=CHALLENGE)


async def bearer(request: web.Request) -> Acting | None:
    """Who the request's bearer token acts as; None without a token, 401 for a token that
    is malformed, unknown, revoked, expired, or whose account is disabled."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    throttle.before_auth(request)
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise unauthorized(why="a bearer token is required")
    found = await tokens.principal(
        request.app[appkeys.DB], token.strip(), request.app[appkeys.CLOCK]()
    )
    if found is None:
        throttle.failed_auth(request)
        raise unauthorized(why="the token is unknown, revoked or expired")
    request[ACTING] = found
    return found


def require(found: Acting, need: Need) -> LocalActor:
    """The group `found` acts for, when its role there is at least `need` (403 else)."""
    group = found.group_for(need)
    if group is None:
        raise web.HTTPForbidden(reason=f"this needs the {need.value} role in the group")
    return group


def awaiting(pending: int) -> web.Response:
    """202: the action waits for a second admin (the two-person rule); its pending id."""
    return web.json_response(
        {"pending": pending, "status": "awaiting_second_admin"}, status=202
    )


@web.middleware
async def audit_trail(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            await _record(request)
        raise
    if response.status < 400:
        await _record(request)
    return response


async def _record(request: web.Request) -> None:
    found = request.get(ACTING)
    chosen = request.get(AUDIT)
    if found is None or (chosen is None and request.method not in _WRITES):
        return
    if chosen is None:
        chosen = (
            f"{request.method} {route_of(request)}",
            loggable(request.path),
            {k: v for k, v in request.match_info.items() if k != "secret"},
        )
    action, target, detail = chosen
    await audit.record(
        request.app[appkeys.DB], found, action=action, target=target, detail=detail
    )
