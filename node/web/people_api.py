"""Who runs a group, through the API (an admin's account token): people and roles,
invitations, the two-person rule and what waits for it, and the group's audit trail."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from node.domain.access import Acting, Need
from node.runtime import appkeys
from node.services import audit, people
from node.storage import audit as audit_store
from node.web import principal
from node.web.api import author, json_body
from node.web.middleware import Refusal


async def _acting(request: web.Request, need: Need = Need.ADMIN) -> Acting:
    await author(request, need)
    who: Acting = request[principal.ACTING]
    return who


def _object(data: Any, field: str, kind: type) -> Any:
    if not isinstance(data, dict) or not isinstance(data.get(field), kind):
        raise Refusal(422, "invalid_input", f"{field}: required ({kind.__name__})")
    return data[field]


async def listing(request: web.Request) -> web.Response:
    """GET /api/v1/people."""
    who = await _acting(request)
    rows = await people.people(request.app[appkeys.DB], who)
    return web.json_response(
        {
            "people": [
                {
                    "name": r["name"],
                    "role": r["role"],
                    "disabled": r["disabled_at"] is not None,
                }
                for r in rows
            ]
        }
    )


async def invite(request: web.Request) -> web.Response:
    """POST /api/v1/invitations {role}: a one-time link (only its hash is kept)."""
    who = await _acting(request)
    role = _object(await json_body(request), "role", str)
    link = await people.invite(
        request.app[appkeys.DB],
        who,
        role=role,
        base_url=request.app[appkeys.SETTINGS].url,
        now=request.app[appkeys.CLOCK](),
    )
    principal.note(request, "invited", None, {"role": role})
    return web.json_response({"link": link}, status=201)


async def _change(request: web.Request, role: str | None) -> web.Response:
    who = request[principal.ACTING]
    name = request.match_info["name"]
    held = await people.change_role(
        request.app[appkeys.DB],
        who,
        name=name,
        role=role,
        now=request.app[appkeys.CLOCK](),
    )
    if held is not None:
        principal.note(
            request, "role_change_requested", name, {"role": role, "pending": held}
        )
        return principal.awaiting(held)
    principal.note(request, "role_changed", name, {"role": role})
    return web.json_response({"name": name, "role": role})


async def set_role(request: web.Request) -> web.Response:
    """PUT /api/v1/people/{name} {role}."""
    await _acting(request)
    return await _change(request, _object(await json_body(request), "role", str))


async def remove(request: web.Request) -> web.Response:
    """DELETE /api/v1/people/{name}: their role in the group ends (and their tokens for it)."""
    await _acting(request)
    return await _change(request, None)


def _pending(row: Any) -> dict[str, Any]:
    return {
        "id": row["id"],
        "action": row["action"],
        "summary": row["summary"],
        "requested_by": row["requested_by_name"],
        "created_at": row["created_at"].isoformat(),
        "expires_at": row["expires_at"].isoformat(),
    }


async def pending(request: web.Request) -> web.Response:
    """GET /api/v1/pending."""
    who = await _acting(request, Need.READ)
    rows = await people.pending(
        request.app[appkeys.DB], who, request.app[appkeys.CLOCK]()
    )
    return web.json_response({"pending": [_pending(r) for r in rows]})


async def decide(request: web.Request) -> web.Response:
    """POST /api/v1/pending/{id}/approve|refuse."""
    who = await _acting(request)
    raw = request.match_info["pending_id"]
    if not raw.isdigit():
        raise web.HTTPNotFound(reason="no such pending action")
    approve = request.match_info["decision"] == "approve"
    row = await people.decide(
        request.app[appkeys.DB],
        who,
        int(raw),
        approve=approve,
        base_url=request.app[appkeys.SETTINGS].url,
        now=request.app[appkeys.CLOCK](),
        remote=request.app[appkeys.REMOTE],
    )
    decision = "approved" if approve else "refused"
    principal.note(
        request,
        decision,
        row["summary"],
        {"pending": row["id"], "action": row["action"]},
    )
    return web.json_response(
        {"id": row["id"], "action": row["action"], "decision": decision}
    )


async def get_rules(request: web.Request) -> web.Response:
    """GET /api/v1/two-person."""
    who = await _acting(request, Need.READ)
    assert who.actor is not None  # noqa: S101 - author() made sure
    rules = await audit_store.rules(request.app[appkeys.DB], who.actor.id)
    return web.json_response({"actions": sorted(rules)})


async def put_rules(request: web.Request) -> web.Response:
    """PUT /api/v1/two-person {actions}: dropping a rule in force waits for a second admin."""
    who = await _acting(request)
    actions = _object(await json_body(request), "actions", list)
    if not all(isinstance(a, str) for a in actions):
        raise Refusal(422, "invalid_input", "actions: a list of action names")
    held = await people.set_rules(
        request.app[appkeys.DB], who, set(actions), request.app[appkeys.CLOCK]()
    )
    principal.note(
        request, "two_person_rule", None, {"actions": sorted(actions), "pending": held}
    )
    if held is not None:
        return principal.awaiting(held)
    return web.json_response({"actions": sorted(set(actions))})


async def trail(request: web.Request) -> web.Response:
    """GET /api/v1/audit?before=ID: the group's trail, newest first, 50 a page."""
    who = await _acting(request)
    assert who.actor is not None  # noqa: S101 - author() made sure
    raw = request.query.get("before", "")
    if raw and not raw.isdigit():
        raise web.HTTPBadRequest(reason="before: a line's id")
    lines = await audit.trail(
        request.app[appkeys.DB],
        local_actor_id=who.actor.id,
        before=int(raw) if raw else None,
    )
    shown: dict[str, Any] = {"lines": lines}
    if len(lines) == audit.PAGE:
        shown["next"] = str(request.rel_url.update_query(before=lines[-1]["id"]))
    return web.json_response(shown)
