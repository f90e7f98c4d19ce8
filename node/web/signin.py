"""Signing in to the publishing UI (`/admin/login`): a person's account (a name, password
and TOTP code; passkeys: `web.passkeys`), or a group's shared token until the group is
claimed. The session cookie is HttpOnly, SameSite=Lax and Secure on https; every POST must
come from our own origin, and every signed-in POST carries the session's CSRF token."""

from __future__ import annotations

import hmac
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from node.domain.access import Acting, Need
from node.domain.actors import LocalActor
from node.runtime import appkeys
from node.services import access, accounts, movement
from node.storage import sessions
from node.web import principal, throttle
from node.web.middleware import read_form
from node.web.pages import render

COOKIE = "movement_session"
# the sign-in pages run one script of ours (the passkey ceremony), nothing else
SCRIPT_CSP = (
    "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; "
    "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def _secure(request: web.Request) -> bool:
    return request.app[appkeys.SETTINGS].url.startswith("https://")


def check_origin(request: web.Request) -> None:
    """A POST from another site's page is refused (with SameSite=Lax, a second wall)."""
    origin = request.headers.get("Origin") or request.headers.get("Referer")
    if origin is None:
        return  # not a browser (no cookie either, so nothing to forge)
    ours = {request.host, urlsplit(request.app[appkeys.SETTINGS].url).netloc}
    if urlsplit(origin).netloc not in ours:
        raise web.HTTPForbidden(reason="cross-site form submission refused")


async def session(request: web.Request) -> tuple[Acting, str] | None:
    """Who the session cookie signs in (noted on the request), and its CSRF token."""
    secret = request.cookies.get(COOKIE)
    if not secret:
        return None
    found = await sessions.lookup(
        request.app[appkeys.DB], secret, request.app[appkeys.CLOCK]()
    )
    if found is not None:
        request[principal.ACTING] = found[0]
    return found


async def signed_in(
    request: web.Request, need: Need = Need.WRITE
) -> tuple[LocalActor, str]:
    """The group the session acts for and its CSRF token, when the session's role there
    is at least `need`; else to the sign-in page (or the account's page, or 403)."""
    found = await session(request)
    if found is None:
        raise web.HTTPSeeOther(location="/admin/login")
    who, csrf = found
    if who.actor is None:
        raise web.HTTPSeeOther(location="/admin/account")
    return principal.require(who, need), csrf


async def posted_form(
    request: web.Request, need: Need = Need.WRITE
) -> tuple[LocalActor, str, Any]:
    """A signed-in POST: (actor, csrf, form), after the origin and CSRF checks."""
    check_origin(request)
    actor, csrf = await signed_in(request, need)
    form = await read_form(request)
    check_form_csrf(form, csrf)
    return actor, csrf, form


async def login_form(request: web.Request) -> web.Response:
    return login_page(request, "")


def login_page(request: web.Request, error: str, status: int = 200) -> web.Response:
    response = render(request, "admin/login.html", {"error": error})
    response.headers["Content-Security-Policy"] = SCRIPT_CSP
    response.set_status(status)
    return response


def open_session(request: web.Request, secret: str, location: str) -> web.HTTPSeeOther:
    """A redirect that sets the session cookie."""
    response = web.HTTPSeeOther(location=location)
    set_cookie(request, response, secret)
    return response


def set_cookie(request: web.Request, response: web.StreamResponse, secret: str) -> None:
    response.set_cookie(
        COOKIE,
        secret,
        max_age=access.SESSION_DAYS * 86400,
        path="/",
        httponly=True,
        secure=_secure(request),
        samesite="Lax",
    )


async def login(request: web.Request) -> web.Response:
    """POST /admin/login: a name, password and TOTP (or recovery) code; or a group's
    shared token (until the group is claimed by an account)."""
    check_origin(request)
    throttle.before_auth(request)
    form = await read_form(request)
    pool, now = request.app[appkeys.DB], request.app[appkeys.CLOCK]()
    if "token" in form:
        opened = await access.sign_in(
            pool, str(form["token"]).strip(), now=now, kinds=movement.AUTHOR_KINDS
        )
        if opened is None:
            throttle.failed_auth(request)
            return login_page(
                request, "That token is unknown, revoked, or not a group's.", 401
            )
        request[principal.ACTING], secret = opened
        principal.note(request, "sign_in", None, {"with": "group token"})
        raise open_session(request, secret, "/admin")
    try:
        account = await accounts.sign_in_password(
            pool,
            name=str(form.get("name", "")).strip(),
            password=str(form.get("password", "")),
            code=str(form.get("code", "")),
            now=now,
        )
    except accounts.AccessError as exc:
        if exc.status == 401:
            throttle.failed_auth(request)
        return login_page(request, str(exc), exc.status)
    secret = await start_session(request, account["id"])
    principal.note(request, "sign_in", None, {"with": "password and code"})
    raise open_session(request, secret, "/admin")


async def start_session(request: web.Request, account_id: int) -> str:
    """Open a session for the account and note who it signs in (for the audit line of
    the sign-in); its secret, for the cookie."""
    pool, now = request.app[appkeys.DB], request.app[appkeys.CLOCK]()
    secret = await accounts.open_session(pool, account_id, now)
    found = await sessions.lookup(pool, secret, now)
    if found is not None:
        request[principal.ACTING] = found[0]
    return secret


def check_form_csrf(form: Any, csrf: str) -> None:
    """A signed-in form carries its session's CSRF token (403 otherwise)."""
    if not hmac.compare_digest(str(form.get("csrf", "")), csrf):
        raise web.HTTPForbidden(reason="the form's CSRF token is missing or stale")


async def logout(request: web.Request) -> web.Response:
    """POST /admin/logout (any session, with or without a group)."""
    check_origin(request)
    found = await session(request)
    form = await read_form(request)
    if found is None or not hmac.compare_digest(str(form.get("csrf", "")), found[1]):
        raise web.HTTPSeeOther(location="/admin/login")
    await access.sign_out(
        request.app[appkeys.DB],
        request.cookies[COOKIE],
        now=request.app[appkeys.CLOCK](),
    )
    response = web.HTTPSeeOther(location="/admin/login")
    response.del_cookie(COOKIE, path="/")
    raise response
