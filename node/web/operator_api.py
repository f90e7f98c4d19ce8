"""The node's own records in its confederations, through the API: an operator's account
token acting for the node votes on a proposal or leaves (the CLI's `confederation vote`
and `leave`, with the two-person rule where the node wants it)."""

from __future__ import annotations

from aiohttp import web

from node.domain.access import Need
from node.runtime import appkeys
from node.services import operator
from node.web import principal
from node.web.api import json_body
from node.web.middleware import Refusal


async def _record(request: web.Request, kind: str, target: str | None) -> web.Response:
    found = await principal.bearer(request)
    if found is None:
        raise principal.unauthorized(why="a bearer token is required")
    principal.require(found, Need.ADMIN)
    name = request.match_info["name"]
    held, shown = await operator.as_node(
        request.app[appkeys.DB],
        found,
        remote=request.app[appkeys.REMOTE],
        name=name,
        kind=kind,
        target=target,
        base_url=request.app[appkeys.SETTINGS].url,
        now=request.app[appkeys.CLOCK](),
    )
    detail = {"kind": kind, "proposal": target, "pending": held}
    if held is not None:
        principal.note(request, f"{operator.action_of(kind)}_requested", name, detail)
        return principal.awaiting(held)
    principal.note(request, operator.action_of(kind), name, detail)
    return web.json_response(shown)


async def vote(request: web.Request) -> web.Response:
    """POST /api/v1/confederations/{name}/vote {proposal, choice}."""
    data = await json_body(request)
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("proposal"), str)
        or data.get("choice") not in ("yes", "no")
    ):
        raise Refusal(
            422, "invalid_input", "proposal: its id or short_id; choice: yes or no"
        )
    return await _record(request, data["choice"], data["proposal"])


async def leave(request: web.Request) -> web.Response:
    """POST /api/v1/confederations/{name}/leave."""
    return await _record(request, "leave", None)
