"""Capability matching for a group's call to action, and a direct message to an offer's
group (a mention addressed to that actor alone)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from federation.errors import FederationError
from node.domain.access import Need
from node.domain.actors import actor_url
from node.movement.matching import Offer, rank
from node.movement.schemas import FieldError
from node.runtime import appkeys
from node.services import contact as contact_service
from node.storage import objects
from node.web.api import author, invalid, json_body

MAX_MATCHES = 50


async def own_call(request: web.Request, need: Need = Need.WRITE) -> tuple[Any, Any]:
    actor = await author(request, need)
    base = request.app[appkeys.SETTINGS].url
    row = await objects.live_call(
        request.app[appkeys.DB],
        actor.id,
        f"{actor_url(base, actor)}/objects/{request.match_info['object_id']}",
    )
    if row is None:
        raise web.HTTPNotFound(reason="no such call of this group")
    return actor, row


async def _offers(request: web.Request) -> list[Offer]:
    return await contact_service.known_offers(
        request.app[appkeys.DB], request.app[appkeys.SETTINGS].url
    )


async def matches(request: web.Request) -> web.Response:
    """GET /api/v1/calls/{id}/matches: the offers this node knows (its own and those its
    confederations relayed), best first."""
    _actor, call = await own_call(request, Need.READ)
    ranked = rank(dict(call["fields"]), await _offers(request))
    return web.json_response(
        {"call": call["id"], "matches": [m.as_json() for m in ranked[:MAX_MATCHES]]}
    )


def _contact_errors(data: Any) -> list[FieldError]:
    if not isinstance(data, dict):
        return [FieldError("", "must be a JSON object")]
    errors = [
        FieldError(k, "is required") for k in ("offer", "text") if not data.get(k)
    ]
    if isinstance(data.get("text"), str) and len(data["text"]) > 2000:
        errors.append(FieldError("text", "is longer than 2000 characters"))
    return errors + [
        FieldError(k, 'must be of type "string"')
        for k in ("offer", "text")
        if k in data and not isinstance(data[k], str)
    ]


async def contact(request: web.Request) -> web.Response:
    """POST /api/v1/calls/{id}/contact {offer, text}: a direct message to the offer's group."""
    actor, call = await own_call(request)
    data = await json_body(request)
    errors = _contact_errors(data)
    if errors:
        return invalid(errors)
    offer = next((o for o in await _offers(request) if o.id == data["offer"]), None)
    if offer is None:
        raise web.HTTPNotFound(reason="this node knows no such capability offer")
    try:
        note = await contact_service.contact_offer(
            request.app[appkeys.DB],
            base_url=request.app[appkeys.SETTINGS].url,
            remote=request.app[appkeys.REMOTE],
            actor=actor,
            call={"id": call["id"], "body": dict(call["body"])},
            offer=offer,
            text=data["text"],
            now=request.app[appkeys.CLOCK](),
        )
    except FederationError as exc:
        raise web.HTTPBadGateway(reason=f"cannot reach {offer.actor}: {exc}") from None
    return web.json_response({"id": note["id"], "to": offer.actor}, status=201)
