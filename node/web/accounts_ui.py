"""A person's own pages (`/admin/account`, `/admin/invite/{secret}`, `/admin/claim`): making
an account from an invitation, the groups it acts for, its sessions, passkeys, recovery
codes and API tokens, and claiming a group that signed in with its shared token."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from node.domain.access import Acting, Role
from node.runtime import appkeys
from node.services import accounts, people
from node.storage import accounts as account_store, passkeys, sessions, tokens
from node.web import principal
from node.web.middleware import read_form
from node.web.pages import render
from node.web.signin import (
    COOKIE,
    SCRIPT_CSP,
    check_form_csrf,
    check_origin,
    session,
    set_cookie,
    start_session,
)


def _page(
    request: web.Request, template: str, context: dict[str, Any], status: int = 200
) -> web.Response:
    response = render(request, template, context)
    response.headers["Content-Security-Policy"] = SCRIPT_CSP
    response.headers["Cache-Control"] = "no-store"
    response.set_status(status)
    return response


def _invite_page(
    request: web.Request,
    found: accounts.Invitation,
    *,
    error: str = "",
    name: str = "",
    status: int = 200,
) -> web.Response:
    secret = accounts.new_totp_secret()
    settings = request.app[appkeys.SETTINGS]
    return _page(
        request,
        "admin/invite.html",
        {
            "invitation": found,
            "action": request.path.removesuffix("/"),
            "error": error,
            "name": found.name or name,
            "totp_secret": secret,
            "totp_uri": accounts.totp_uri(
                secret, account=found.name or "you", issuer=settings.host_name
            ),
        },
        status,
    )


async def invite_form(request: web.Request) -> web.Response:
    """GET /admin/invite/{secret}: make the account (a passkey, or a password and TOTP)."""
    found = await accounts.invitation(
        request.app[appkeys.DB],
        request.match_info["secret"],
        request.app[appkeys.CLOCK](),
    )
    return _invite_page(request, found)


async def invite_accept(request: web.Request) -> web.Response:
    """POST /admin/invite/{secret}: the account with a password and TOTP; its recovery
    codes are shown once, and it is signed in."""
    check_origin(request)
    pool, now = request.app[appkeys.DB], request.app[appkeys.CLOCK]()
    link = request.match_info["secret"]
    found = await accounts.invitation(pool, link, now)
    form = await read_form(request)
    name = str(form.get("name", "")).strip()
    totp_secret = str(form.get("totp_secret", ""))
    try:
        password = accounts.check_password(str(form.get("password", "")))
        step = accounts.check_first_code(totp_secret, str(form.get("code", "")), now)
        account_id, _ = await accounts.accept(
            pool,
            link,
            name=name,
            now=now,
            password_hash=await accounts.hash_password(password),
            totp_secret=totp_secret,
            spent_step=step,
        )
    except accounts.AccessError as exc:
        if exc.status == 410:
            raise
        return _invite_page(
            request, found, error=str(exc), name=name, status=exc.status
        )
    codes = await accounts.replace_recovery_codes(pool, account_id)
    secret = await start_session(request, account_id)
    principal.note(request, "account_made", None, {"with": "password and TOTP"})
    response = _page(
        request, "admin/codes.html", {"codes": codes, "next": "/admin"}, 201
    )
    set_cookie(request, response, secret)
    return response


async def _account(request: web.Request) -> tuple[Acting, str, Any]:
    found = await session(request)
    if found is None:
        raise web.HTTPSeeOther(location="/admin/login")
    who, csrf = found
    if who.account_id is None:
        raise web.HTTPSeeOther(location="/admin/claim")
    account = await account_store.by_id(request.app[appkeys.DB], who.account_id)
    return who, csrf, account


async def _posted(request: web.Request) -> tuple[Acting, Any, Any]:
    check_origin(request)
    who, csrf, account = await _account(request)
    form = await read_form(request)
    check_form_csrf(form, csrf)
    return who, account, form


async def page(
    request: web.Request, *, new_token: str = "", done: str = ""
) -> web.Response:
    """GET /admin/account."""
    who, csrf, account = await _account(request)
    pool, now = request.app[appkeys.DB], request.app[appkeys.CLOCK]()
    return _page(
        request,
        "admin/account.html",
        {
            "account": account,
            "acting": who,
            "csrf": csrf,
            "groups": await account_store.groups_of(pool, account["id"]),
            "sessions": await sessions.of_account(pool, account["id"], now),
            "this_session": sessions.session_id(request.cookies[COOKIE]),
            "passkeys": await passkeys.of_account(pool, account["id"]),
            "codes_left": await account_store.recovery_codes_left(pool, account["id"]),
            "tokens": await tokens.of_account(pool, account["id"]),
            "new_token": new_token,
            "done": done
            or {"passkey": "The passkey was added."}.get(
                request.query.get("done", ""), ""
            ),
        },
    )


async def switch(request: web.Request) -> web.Response:
    who, _account_row, form = await _posted(request)
    await accounts.switch_group(
        request.app[appkeys.DB],
        who,
        request.cookies[COOKIE],
        str(form.get("group", "")),
    )
    raise web.HTTPSeeOther(location="/admin")


async def end_sessions(request: web.Request) -> web.Response:
    """POST /admin/account/sessions/end session=ID|all."""
    _who, account, form = await _posted(request)
    which = str(form.get("session", ""))
    pool = request.app[appkeys.DB]
    await sessions.end_of_account(
        pool, account["id"], session_id=None if which == "all" else which
    )
    if which == "all" or which == sessions.session_id(request.cookies[COOKIE]):
        response = web.HTTPSeeOther(location="/admin/login")
        response.del_cookie(COOKIE, path="/")
        raise response
    raise web.HTTPSeeOther(location="/admin/account")


async def new_codes(request: web.Request) -> web.Response:
    _who, account, _form = await _posted(request)
    codes = await accounts.replace_recovery_codes(
        request.app[appkeys.DB], account["id"]
    )
    principal.note(request, "recovery_codes_replaced")
    return _page(
        request, "admin/codes.html", {"codes": codes, "next": "/admin/account"}
    )


async def new_token(request: web.Request) -> web.Response:
    """POST /admin/account/tokens label, scope, days: shown once on the account page."""
    who, _account_row, form = await _posted(request)
    days_raw = str(form.get("days", "")).strip()
    if days_raw and not days_raw.isdigit():
        raise accounts.AccessError(
            message="days: a whole number", code="invalid_expiry", status=422
        )
    token_id, token = await people.create_token(
        request.app[appkeys.DB],
        who,
        label=str(form.get("label", "")),
        scope=str(form.get("scope", "")),
        days=int(days_raw) if days_raw else None,
        now=request.app[appkeys.CLOCK](),
    )
    principal.note(
        request, "token_made", str(token_id), {"scope": str(form.get("scope"))}
    )
    return await page(request, new_token=token, done="The token was made.")


async def revoke_token(request: web.Request) -> web.Response:
    who, _account_row, _form = await _posted(request)
    token_id = request.match_info["token_id"]
    if not token_id.isdigit():
        raise web.HTTPNotFound(reason="no such token")
    await people.revoke_token(request.app[appkeys.DB], who, int(token_id))
    principal.note(request, "token_revoked", token_id)
    raise web.HTTPSeeOther(location="/admin/account")


async def claim_page(request: web.Request) -> web.Response:
    """GET /admin/claim: what claiming the group does."""
    found = await session(request)
    if found is None:
        raise web.HTTPSeeOther(location="/admin/login")
    who, csrf = found
    if who.actor is None or not who.shared:
        raise web.HTTPSeeOther(location="/admin/account")
    return _page(request, "admin/claim.html", {"actor": who.actor, "csrf": csrf})


async def claim(request: web.Request) -> web.Response:
    """POST /admin/claim: a session opened with a group's shared token makes the group's
    first account (its admin); once that account is made, the shared tokens end."""
    check_origin(request)
    found = await session(request)
    if found is None:
        raise web.HTTPSeeOther(location="/admin/login")
    who, csrf = found
    form = await read_form(request)
    check_form_csrf(form, csrf)
    if who.actor is None or not who.shared:
        raise web.HTTPSeeOther(location="/admin/account")
    link = await accounts.invite(
        request.app[appkeys.DB],
        base_url=request.app[appkeys.SETTINGS].url,
        now=request.app[appkeys.CLOCK](),
        days=1,
        local_actor_id=who.actor.id,
        role=Role.ADMIN,
        claims_group=True,
    )
    principal.note(request, "claim_started")
    raise web.HTTPSeeOther(
        location=link.removeprefix(request.app[appkeys.SETTINGS].url)
    )
