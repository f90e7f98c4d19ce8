"""Endorsements over HTTP: `POST /api/v1/endorsements {object, statement}` (the token's
group, or a member's account, signs under a vision or call of any node),
`DELETE /api/v1/endorsements?object=IRI` (takes it back), and the public
`GET /api/v1/endorsements?object=IRI` (who signed, by name and node, and how many support
it; each signed Note whole, so anyone can check its proof)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from node.domain.access import Need
from node.domain.actors import LocalActor
from node.movement.schemas import validate
from node.runtime import appkeys
from node.services import endorsements
from node.services.signed_notes import NoteError
from node.storage import endorsements as store, objects
from node.web import api, principal
from node.web.middleware import Refusal
from node.web.naming import member_names


async def endorser(request: web.Request) -> LocalActor:
    found = await principal.bearer(request)
    if found is None:
        raise principal.unauthorized(why="a bearer token is required")
    actor = principal.require(found, Need.WRITE)
    if actor.kind not in endorsements.ENDORSER_KINDS:
        raise web.HTTPForbidden(reason=f"a {actor.kind} actor cannot endorse")
    return actor


def refusal(exc: NoteError) -> Refusal:
    return Refusal(exc.status, exc.code, str(exc))


async def endorse(request: web.Request) -> web.Response:
    actor = await endorser(request)
    data = await api.json_body(request)
    errors = validate("endorsement", data)
    if errors:
        return api.invalid(errors)
    try:
        note = await endorsements.endorse(
            request.app[appkeys.DB],
            base_url=request.app[appkeys.SETTINGS].url,
            remote=request.app[appkeys.REMOTE],
            actor=actor,
            target=data["object"],
            statement=data.get("statement", ""),
            now=request.app[appkeys.CLOCK](),
        )
    except NoteError as exc:
        raise refusal(exc) from None
    principal.note(request, "endorse", data["object"])
    return web.json_response(note, status=201, headers={"Location": note["id"]})


def object_iri(
    request: web.Request,
    name: str = "object",
    what: str = "the IRI of a vision or call",
) -> str:
    """The http(s) IRI (at most 2,000 characters) in query parameter `name`, else 400."""
    iri = request.query.get(name, "").strip()
    if not iri.startswith(("https://", "http://")) or len(iri) > 2000:
        raise Refusal(400, "bad_request", f"{name}: {what}")
    return iri


async def withdraw(request: web.Request) -> web.Response:
    actor = await endorser(request)
    target = object_iri(request)
    try:
        await endorsements.withdraw(
            request.app[appkeys.DB],
            base_url=request.app[appkeys.SETTINGS].url,
            remote=request.app[appkeys.REMOTE],
            actor=actor,
            target=target,
            now=request.app[appkeys.CLOCK](),
        )
    except NoteError as exc:
        raise refusal(exc) from None
    principal.note(request, "withdraw_endorsement", target)
    return web.Response(status=204)


async def signatories(pool: Any, base_url: str, object_id: str) -> dict[str, Any]:
    """Who signed `object_id` (groups, by name and node, with their statements and the
    signed Notes) and how many others support it."""
    rows = await store.of_object(pool, object_id)
    signed = [r for r in rows if r["signature"]]
    names = await member_names(pool, base_url, [r["endorser"] for r in signed])
    return {
        "object": object_id,
        "signatures": [
            name
            | {"statement": r["statement"], "id": r["id"], "document": r["document"]}
            for name, r in zip(names, signed, strict=True)
        ],
        "support": len(rows) - len(signed),
    }


async def listing(request: web.Request) -> web.Response:
    target = object_iri(request)
    pool = request.app[appkeys.DB]
    base = request.app[appkeys.SETTINGS].url
    if target.startswith(base + "/"):
        own = await objects.live_movement(pool, target)
        if own is None or not own["public"]:
            raise web.HTTPNotFound(reason="no such object")
    return web.json_response(await signatories(pool, base, target))
