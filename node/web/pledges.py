"""Pledges through the API (the call's group token): who pledged (the group's eyes only),
asking someone who follows or wrote to the group, and the reminder before the call."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from federation.errors import FederationError
from node.domain.access import Need
from node.movement import pledging
from node.movement.schemas import FieldError
from node.runtime import appkeys
from node.services import group_inbox, pledges
from node.storage import follows, group_inbox as inbox_store, pledges as pledge_store
from node.web import principal
from node.web.api import invalid, json_body
from node.web.matching import own_call
from node.web.middleware import Refusal

MAX_REMINDER_HOURS = 14 * 24


def shown(row: Any) -> dict[str, Any]:
    who = group_inbox.person(row["actor"], row["document"])
    return {
        "actor": who.as_json(),
        "answer": row["answer"],
        "help": list(row["help"]),
        "via": row["via"],
        "updated_at": row["updated_at"].isoformat(),
    }


async def listing(request: web.Request) -> web.Response:
    """GET /api/v1/calls/{id}/pledges: the counts and who pledged what (a read that is
    noted in the audit trail)."""
    _actor, call = await own_call(request, Need.READ)
    principal.note(request, "pledges_read", call["id"])
    pool = request.app[appkeys.DB]
    reminder = await pledge_store.reminder(pool, call["id"])
    return web.json_response(
        {
            "call": call["id"],
            "counts": await pledge_store.counts(pool, call["id"]),
            "pledges": [shown(r) for r in await pledge_store.of_call(pool, call["id"])],
            "reminder": None
            if reminder is None
            else {
                "remind_at": reminder["remind_at"].isoformat(),
                "sent": reminder["sent_at"] is not None,
            },
        }
    )


async def ask(request: web.Request) -> web.Response:
    """POST /api/v1/calls/{id}/ask {actor}: send the call's pledge Questions to someone who
    follows the group or wrote to it (never to strangers)."""
    group, call = await own_call(request)
    data = await json_body(request)
    if not isinstance(data, dict) or not isinstance(data.get("actor"), str):
        return invalid([FieldError("actor", "is required: the person's actor URL")])
    if set(data) != {"actor"}:
        return invalid(
            [
                FieldError(k, "is not a property of this request")
                for k in set(data) - {"actor"}
            ]
        )
    pool, person = request.app[appkeys.DB], data["actor"]
    if not (
        await follows.is_accepted_follower(pool, group.id, person)
        or await inbox_store.has_written(pool, group.id, person)
    ):
        raise Refusal(
            422,
            "not_in_touch",
            "only someone who follows the group or wrote to it can be asked",
        )
    try:
        doc = await request.app[appkeys.REMOTE].fetch_actor(person)
    except FederationError as exc:
        raise web.HTTPBadGateway(reason=f"cannot reach {person}: {exc}") from None
    async with pool.acquire() as conn, conn.transaction():
        sent = await pledges.ask(
            conn,
            base_url=request.app[appkeys.SETTINGS].url,
            group=group,
            call=call,
            person_doc=doc,
            now=request.app[appkeys.CLOCK](),
        )
    if sent == 0 and not pledging.takes_pledges(
        dict(call["fields"]), request.app[appkeys.CLOCK]()
    ):
        raise Refusal(
            422,
            "no_pledges",
            "this call takes no pledges (no turnout or help asked, or it has begun)",
        )
    return web.json_response(
        {"call": call["id"], "actor": person, "questions_sent": sent}
    )


async def reminder(request: web.Request) -> web.Response:
    """PUT /api/v1/calls/{id}/reminder {hours_before: 1..336 | null}."""
    _group, call = await own_call(request)
    data = await json_body(request)
    hours = data.get("hours_before", "missing") if isinstance(data, dict) else "missing"
    if hours is not None and (
        isinstance(hours, bool)
        or not isinstance(hours, int)
        or not 1 <= hours <= MAX_REMINDER_HOURS
    ):
        return invalid(
            [
                FieldError(
                    "hours_before",
                    f"a whole number of hours from 1 to {MAX_REMINDER_HOURS}, or null",
                )
            ]
        )
    if isinstance(data, dict) and set(data) != {"hours_before"}:
        return invalid(
            [
                FieldError(k, "is not a property of this request")
                for k in set(data) - {"hours_before"}
            ]
        )
    if "startTime" not in dict(call["fields"]):
        raise Refusal(
            422, "no_start_time", "a call without a time has nothing to remind of"
        )
    remind_at = await pledges.set_reminder(
        request.app[appkeys.DB], call=call, hours_before=hours
    )
    return web.json_response(
        {
            "call": call["id"],
            "remind_at": None if remind_at is None else remind_at.isoformat(),
        }
    )
