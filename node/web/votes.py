"""A group votes (`POST /api/v1/votes`, the group's token): on this node's assembly
proposals at once, on another node's by sending its poll vote as the group."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from federation.errors import FederationError
from node.movement.schemas import FieldError
from node.runtime import appkeys
from node.services import polls
from node.web import principal
from node.web.api import author, invalid, json_body
from node.web.middleware import Refusal


def _errors(data: Any) -> list[FieldError]:
    if not isinstance(data, dict):
        return [FieldError("", "must be a JSON object")]
    errors = [
        FieldError(k, "is required: a non-empty string")
        for k in ("question", "choice")
        if not isinstance(data.get(k), str) or not data[k].strip()
    ]
    if isinstance(data.get("question"), str) and not data["question"].startswith(
        ("https://", "http://")
    ):
        errors.append(FieldError("question", "must be the question's http(s) IRI"))
    if isinstance(data.get("choice"), str) and len(data["choice"]) > 100:
        errors.append(FieldError("choice", "is longer than 100 characters"))
    return errors + [
        FieldError(k, "is not a property of a vote")
        for k in data
        if k not in ("question", "choice")
    ]


async def vote(request: web.Request) -> web.Response:
    """POST /api/v1/votes {question, choice}."""
    group = await author(request)
    data = await json_body(request)
    errors = _errors(data)
    if errors:
        return invalid(errors)
    try:
        how = await polls.vote_as(
            request.app[appkeys.DB],
            base_url=request.app[appkeys.SETTINGS].url,
            remote=request.app[appkeys.REMOTE],
            group=group,
            question_id=data["question"],
            choice=data["choice"],
            now=request.app[appkeys.CLOCK](),
        )
    except polls.VoteRefusedError as exc:
        raise Refusal(422, "vote_refused", str(exc)) from None
    except FederationError as exc:
        raise web.HTTPBadGateway(reason=f"cannot reach the question: {exc}") from None
    principal.note(request, "vote", data["question"], {"choice": data["choice"]})
    return web.json_response(
        {"question": data["question"], "choice": data["choice"], "status": how},
        status=201,
    )
