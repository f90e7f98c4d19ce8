"""The passkey ceremonies over HTTP (JSON, for /admin/passkey.js): signing in, making an
account from an invitation with a passkey, and adding one to a signed-in account.
Refusals are JSON with a stable code (`challenge_used`, `sign_in_failed`, ...)."""

from __future__ import annotations

import hmac
from pathlib import Path
from typing import Any

from aiohttp import web

from node.runtime import appkeys
from node.services import accounts, passkeys
from node.storage import accounts as account_store
from node.web import principal, throttle
from node.web.api import json_body
from node.web.signin import check_origin, session, set_cookie, start_session

SCRIPT = (Path(__file__).parent / "static" / "passkey.js").read_bytes()


async def script(_request: web.Request) -> web.Response:
    return web.Response(
        body=SCRIPT,
        content_type="text/javascript",
        charset="utf-8",
        headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"},
    )


def _ceremony(request: web.Request) -> None:
    """A client begins at most 30 ceremonies a minute (each stores a challenge)."""
    check_origin(request)
    limits = request.app[appkeys.LIMITS]
    throttle.hit(
        request, limits.ceremonies, throttle.client(request), "passkey_ceremony"
    )


def _credential(data: Any) -> Any:
    if not isinstance(data, dict) or not isinstance(data.get("credential"), dict):
        raise accounts.AccessError(
            message="credential: the browser's PublicKeyCredential as JSON",
            code="invalid_credential",
            status=400,
        )
    return data["credential"]


async def sign_in_options(request: web.Request) -> web.Response:
    _ceremony(request)
    throttle.before_auth(request)
    settings = request.app[appkeys.SETTINGS]
    return web.json_response(
        await passkeys.authentication_options(
            request.app[appkeys.DB],
            base_url=settings.url,
            now=request.app[appkeys.CLOCK](),
        )
    )


async def sign_in(request: web.Request) -> web.Response:
    """POST /admin/passkey {credential}: a session, and where to go next."""
    check_origin(request)
    throttle.before_auth(request)
    credential = _credential(await json_body(request))
    pool, now = request.app[appkeys.DB], request.app[appkeys.CLOCK]()
    try:
        account = await passkeys.authenticate(
            pool, credential, base_url=request.app[appkeys.SETTINGS].url, now=now
        )
    except accounts.AccessError as exc:
        if exc.status == 401:
            throttle.failed_auth(request)
        raise
    secret = await start_session(request, account["id"])
    principal.note(request, "sign_in", None, {"with": "passkey"})
    response = web.json_response({"next": "/admin"})
    set_cookie(request, response, secret)
    return response


async def invite_options(request: web.Request) -> web.Response:
    """POST /admin/invite/{secret}/passkey/options {name}."""
    _ceremony(request)
    data = await json_body(request)
    pool, now = request.app[appkeys.DB], request.app[appkeys.CLOCK]()
    found = await accounts.invitation(pool, request.match_info["secret"], now)
    name = await accounts.free_name(
        pool, found.name or str(data.get("name", "") if isinstance(data, dict) else "")
    )
    settings = request.app[appkeys.SETTINGS]
    return web.json_response(
        await passkeys.registration_options(
            pool,
            base_url=settings.url,
            node_name=settings.node_name,
            now=now,
            name=name,
        )
    )


async def invite_accept(request: web.Request) -> web.Response:
    """POST /admin/invite/{secret}/passkey {name, credential}: the account, signed in,
    and its recovery codes (shown only in this answer)."""
    check_origin(request)
    data = await json_body(request)
    credential = _credential(data)
    pool, now = request.app[appkeys.DB], request.app[appkeys.CLOCK]()
    secret_link = request.match_info["secret"]
    await accounts.invitation(pool, secret_link, now)  # before the challenge is used up
    new = await passkeys.verify_registration(
        pool,
        credential,
        base_url=request.app[appkeys.SETTINGS].url,
        now=now,
        account_id=None,
    )
    account_id, _found = await accounts.accept(
        pool, secret_link, name=str(data.get("name", "")), now=now, passkey=new
    )
    codes = await accounts.replace_recovery_codes(pool, account_id)
    secret = await start_session(request, account_id)
    principal.note(request, "account_made", None, {"with": "passkey"})
    response = web.json_response(
        {"next": "/admin", "recovery_codes": codes}, status=201
    )
    set_cookie(request, response, secret)
    return response


async def _account_json(request: web.Request) -> Any:
    """The signed-in account of a JSON request carrying the session's CSRF token."""
    check_origin(request)
    found = await session(request)
    if found is None or found[0].account_id is None:
        raise principal.unauthorized(why="sign in with your account first")
    if not hmac.compare_digest(request.headers.get("X-CSRF-Token", ""), found[1]):
        raise web.HTTPForbidden(reason="the CSRF token is missing or stale")
    account = await account_store.by_id(request.app[appkeys.DB], found[0].account_id)
    if account is None:
        raise principal.unauthorized(why="sign in with your account first")
    return account


async def add_options(request: web.Request) -> web.Response:
    """POST /admin/account/passkey/options: options for another passkey of this account."""
    _ceremony(request)
    account = await _account_json(request)
    settings = request.app[appkeys.SETTINGS]
    return web.json_response(
        await passkeys.registration_options(
            request.app[appkeys.DB],
            base_url=settings.url,
            node_name=settings.node_name,
            now=request.app[appkeys.CLOCK](),
            name=account["name"],
            account=account,
        )
    )


async def add(request: web.Request) -> web.Response:
    """POST /admin/account/passkey {credential, label}."""
    account = await _account_json(request)
    data = await json_body(request)
    pool = request.app[appkeys.DB]
    new = await passkeys.verify_registration(
        pool,
        _credential(data),
        base_url=request.app[appkeys.SETTINGS].url,
        now=request.app[appkeys.CLOCK](),
        account_id=account["id"],
    )
    label = data.get("label") if isinstance(data.get("label"), str) else "passkey"
    await passkeys.add(pool, new, account_id=account["id"], label=label)
    principal.note(request, "passkey_added", None, {"label": label})
    return web.json_response({"next": "/admin/account?done=passkey"}, status=201)
