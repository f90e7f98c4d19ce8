"""A group's people in `/admin`: who holds which role, invitations, the two-person rule,
the actions waiting for a second admin, and the audit trail (the group's; the node's for
its operator)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from node.domain.access import Acting, Need, Role, two_person_actions
from node.runtime import appkeys
from node.services import accounts, audit, people
from node.storage import audit as audit_store
from node.web import principal
from node.web.pages import render
from node.web.signin import posted_form, session, signed_in

RULE_LABELS = {
    "delete": "Deleting a published object",
    "remove_admin": "Taking an admin's role away",
    "leave_confederation": "Leaving a confederation (the node)",
    "confederation_vote": "The node's votes in its confederations",
}


def _person(request: web.Request) -> Acting:
    who = request[principal.ACTING]
    if who.account_id is None:
        raise web.HTTPSeeOther(location="/admin/claim")
    return who


async def _people_page(
    request: web.Request,
    *,
    link: str = "",
    error: str = "",
    done: str = "",
    status: int = 200,
) -> web.Response:
    actor, csrf = await signed_in(request, Need.ADMIN)
    who = _person(request)
    pool = request.app[appkeys.DB]
    response = render(
        request,
        "admin/people.html",
        {
            "actor": actor,
            "csrf": csrf,
            "people": await people.people(pool, who),
            "roles": [str(r) for r in Role],
            "two_person": {a: RULE_LABELS[a] for a in two_person_actions(actor.kind)},
            "rules": await audit_store.rules(pool, actor.id),
            "link": link,
            "days": accounts.INVITATION_DAYS,
            "error": error,
            "done": done,
        },
    )
    response.headers["Cache-Control"] = "no-store"
    response.set_status(status)
    return response


async def people_page(request: web.Request) -> web.Response:
    return await _people_page(request)


async def invite(request: web.Request) -> web.Response:
    _actor, _csrf, form = await posted_form(request, Need.ADMIN)
    who = _person(request)
    role = str(form.get("role", ""))
    link = await people.invite(
        request.app[appkeys.DB],
        who,
        role=role,
        base_url=request.app[appkeys.SETTINGS].url,
        now=request.app[appkeys.CLOCK](),
    )
    principal.note(request, "invited", None, {"role": role})
    return await _people_page(request, link=link)


async def change_role(request: web.Request) -> web.Response:
    _actor, _csrf, form = await posted_form(request, Need.ADMIN)
    who = _person(request)
    name, role = str(form.get("name", "")), str(form.get("role", "")) or None
    try:
        held = await people.change_role(
            request.app[appkeys.DB],
            who,
            name=name,
            role=role,
            now=request.app[appkeys.CLOCK](),
        )
    except accounts.AccessError as exc:
        return await _people_page(request, error=str(exc), status=exc.status)
    if held is not None:
        principal.note(
            request, "role_change_requested", name, {"role": role, "pending": held}
        )
        raise web.HTTPSeeOther(location="/admin/pending?done=held")
    principal.note(request, "role_changed", name, {"role": role})
    return await _people_page(request, done=f"{name}: {role or 'no role'}.")


async def rules(request: web.Request) -> web.Response:
    _actor, _csrf, form = await posted_form(request, Need.ADMIN)
    who = _person(request)
    chosen = {str(a) for a in form.getall("actions", [])}
    try:
        held = await people.set_rules(
            request.app[appkeys.DB], who, chosen, request.app[appkeys.CLOCK]()
        )
    except accounts.AccessError as exc:
        return await _people_page(request, error=str(exc), status=exc.status)
    principal.note(
        request, "two_person_rule", None, {"actions": sorted(chosen), "pending": held}
    )
    if held is not None:
        raise web.HTTPSeeOther(location="/admin/pending?done=held")
    return await _people_page(request, done="The two-person rule was saved.")


async def pending_page(request: web.Request) -> web.Response:
    actor, csrf = await signed_in(request, Need.READ)
    who = request[principal.ACTING]
    shown = await people.pending(
        request.app[appkeys.DB], who, request.app[appkeys.CLOCK]()
    )
    done = {
        "held": "That waits for a second admin's approval.",
        "approved": "Approved and carried out.",
        "refused": "Refused.",
    }.get(request.query.get("done", ""), "")
    return render(
        request,
        "admin/pending.html",
        {
            "actor": actor,
            "csrf": csrf,
            "pending": shown,
            "done": done,
            "account_id": who.account_id,
            "can_decide": who.may(Need.ADMIN) and who.account_id is not None,
        },
    )


async def decide(request: web.Request) -> web.Response:
    """POST /admin/pending/{id}/approve|refuse."""
    _actor, _csrf, _form = await posted_form(request, Need.ADMIN)
    who = _person(request)
    approve = request.match_info["decision"] == "approve"
    pending_id = request.match_info["pending_id"]
    if not pending_id.isdigit():
        raise web.HTTPNotFound(reason="no such pending action")
    row = await people.decide(
        request.app[appkeys.DB],
        who,
        int(pending_id),
        approve=approve,
        base_url=request.app[appkeys.SETTINGS].url,
        now=request.app[appkeys.CLOCK](),
        remote=request.app[appkeys.REMOTE],
    )
    principal.note(
        request,
        "approved" if approve else "refused",
        row["summary"],
        {"pending": row["id"], "action": row["action"]},
    )
    raise web.HTTPSeeOther(
        location=f"/admin/pending?done={'approved' if approve else 'refused'}"
    )


async def audit_page(request: web.Request) -> web.Response:
    """GET /admin/audit (a group's admin: the group's trail; ?scope=node: the operator's,
    the whole node's), newest first, 50 a page (?before=ID)."""
    found = await session(request)
    if found is None:
        raise web.HTTPSeeOther(location="/admin/login")
    who, _csrf = found
    before_raw = request.query.get("before", "")
    before = int(before_raw) if before_raw.isdigit() else None
    query: dict[str, Any]
    if request.query.get("scope") == "node":
        if not who.operator:
            raise web.HTTPForbidden(reason="the node's trail is its operator's")
        query, group = {}, None
    else:
        actor = principal.require(who, Need.ADMIN)
        query, group = {"local_actor_id": actor.id}, actor.name
    lines = await audit.trail(request.app[appkeys.DB], before=before, **query)
    following = None
    if len(lines) == audit.PAGE:
        following = str(request.rel_url.update_query(before=lines[-1]["id"]))
    return render(
        request, "admin/audit.html", {"lines": lines, "group": group, "next": following}
    )
