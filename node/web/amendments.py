"""Amendments over HTTP: `POST /api/v1/amendments {object, changes, statement}` (the
token's group proposes a change to a vision of any node), `POST
/api/v1/amendments/decision {amendment, decision: accept|decline}` (the vision's author
decides), and the public `GET /api/v1/amendments?object=IRI`."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from node.movement.schemas import validate
from node.movement.versions import changes as diff
from node.runtime import appkeys
from node.services import amendments
from node.services.signed_notes import NoteError
from node.storage import amendments as store, objects
from node.web import api, principal
from node.web.endorsements import endorser, object_iri, refusal
from node.web.middleware import Refusal
from node.web.naming import member_names


async def propose(request: web.Request) -> web.Response:
    actor = await endorser(request)
    data = await api.json_body(request)
    errors = validate("amendment", data)
    if errors:
        return api.invalid(errors)
    try:
        note = await amendments.propose(
            request.app[appkeys.DB],
            base_url=request.app[appkeys.SETTINGS].url,
            remote=request.app[appkeys.REMOTE],
            actor=actor,
            target=data["object"],
            changes=data["changes"],
            statement=data.get("statement", ""),
            now=request.app[appkeys.CLOCK](),
        )
    except NoteError as exc:
        raise refusal(exc) from None
    principal.note(request, "propose_amendment", data["object"])
    return web.json_response(note, status=201, headers={"Location": note["id"]})


async def decision(request: web.Request) -> web.Response:
    actor = await endorser(request)
    data = await api.json_body(request)
    if (
        not isinstance(data, dict)
        or set(data) != {"amendment", "decision"}
        or not isinstance(data["amendment"], str)
        or data["decision"] not in ("accept", "decline")
    ):
        raise Refusal(
            422,
            "invalid_input",
            "send amendment (its IRI) and decision: accept|decline",
        )
    try:
        state = await amendments.decide(
            request.app[appkeys.DB],
            base_url=request.app[appkeys.SETTINGS].url,
            remote=request.app[appkeys.REMOTE],
            actor=actor,
            amendment_id=data["amendment"],
            accept=data["decision"] == "accept",
            now=request.app[appkeys.CLOCK](),
        )
    except NoteError as exc:
        raise refusal(exc) from None
    principal.note(request, f"amendment_{state}", data["amendment"])
    return web.json_response({"amendment": data["amendment"], "state": state})


async def proposed(
    pool: Any, base_url: str, object_id: str, current: dict[str, Any]
) -> list[dict[str, Any]]:
    """The amendments to `object_id`, oldest first: who proposed them (by name and
    node), why, what they would change (from `current`), and what became of them."""
    rows = await store.of_object(pool, object_id)
    names = await member_names(pool, base_url, [r["proposer"] for r in rows])
    return [
        name
        | {
            "id": r["id"],
            "statement": r["statement"],
            "state": r["state"],
            "changes": diff(current, current | dict(r["changes"])),
            "proposed": dict(r["changes"]),
        }
        for name, r in zip(names, rows, strict=True)
    ]


async def listing(request: web.Request) -> web.Response:
    target = object_iri(request)
    pool, base = request.app[appkeys.DB], request.app[appkeys.SETTINGS].url
    own = await objects.live_movement(pool, target)
    if target.startswith(base + "/") and (own is None or not own["public"]):
        raise web.HTTPNotFound(reason="no such object")
    current = dict(own["fields"]) if own is not None else {}
    shown = await proposed(pool, base, target, current)
    for item in shown:
        item.pop("changes")
    return web.json_response({"object": target, "amendments": shown})
