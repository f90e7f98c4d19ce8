"""The node's assembly over HTTP: `GET /api/v1/assembly` (its groups, proposals and what it
adopted), `POST /api/v1/assembly/proposals {version}` and `POST /api/v1/assembly/votes
{proposal, choice}` (a group's admin, for the group), and `GET /assembly/decisions` (every
signed record, for anyone to check). A group's vote in a confederation whose groups vote on
adoptions: `POST /api/v1/confederations/{name}/group-votes {proposal, choice}`."""

from __future__ import annotations

from aiohttp import web

from node.confederation.governance import ConfederationError
from node.domain.access import Need
from node.domain.actors import LocalActor
from node.runtime import appkeys
from node.services import assembly
from node.storage import assembly as store
from node.web import api, principal
from node.web.middleware import Refusal
from node.web.naming import member_names


async def _group(request: web.Request) -> LocalActor:
    found = await principal.bearer(request)
    if found is None:
        raise principal.unauthorized(why="a bearer token is required")
    actor = principal.require(found, Need.ADMIN)
    if actor.kind != "group":
        raise web.HTTPForbidden(reason="only the node's groups sit in its assembly")
    return actor


async def _choice(request: web.Request) -> tuple[str, str]:
    data = await api.json_body(request)
    if (
        not isinstance(data, dict)
        or set(data) != {"proposal", "choice"}
        or not isinstance(data["proposal"], str)
        or data["choice"] not in ("yes", "no")
    ):
        raise Refusal(
            422,
            "invalid_input",
            "send proposal (its id or short id) and choice: yes|no",
        )
    return data["proposal"], data["choice"]


async def show(request: web.Request) -> web.Response:
    pool, base = request.app[appkeys.DB], request.app[appkeys.SETTINGS].url
    folded = await assembly.state(pool, base)
    members = sorted(folded.members)
    return web.json_response(
        {
            "id": assembly.assembly_id(base),
            "members": await member_names(pool, base, members),
            "quorum": folded.charter.quorum,
            "proposals": [p.as_json() for p in folded.proposals.values()],
            "adopted": [p.subject for p in folded.adopted],
        }
    )


async def propose(request: web.Request) -> web.Response:
    group = await _group(request)
    data = await api.json_body(request)
    if (
        not isinstance(data, dict)
        or set(data) != {"version"}
        or not isinstance(data["version"], str)
    ):
        raise Refusal(
            422,
            "invalid_input",
            "send version: a vision version's IRI (VISION/versions/N)",
        )
    try:
        folded = await assembly.propose(
            request.app[appkeys.DB],
            base_url=request.app[appkeys.SETTINGS].url,
            remote=request.app[appkeys.REMOTE],
            group=group,
            version=data["version"],
            now=request.app[appkeys.CLOCK](),
        )
    except ConfederationError as exc:
        raise Refusal(422, "refused", str(exc)) from None
    principal.note(request, "assembly_propose", data["version"])
    opened = [
        p.as_json() for p in folded.proposals.values() if p.subject == data["version"]
    ]
    return web.json_response(opened[-1], status=201)


async def vote(request: web.Request) -> web.Response:
    group = await _group(request)
    proposal, choice = await _choice(request)
    try:
        folded = await assembly.vote(
            request.app[appkeys.DB],
            base_url=request.app[appkeys.SETTINGS].url,
            group=group,
            proposal=proposal,
            yes=choice == "yes",
            now=request.app[appkeys.CLOCK](),
        )
    except ConfederationError as exc:
        raise Refusal(409, "refused", str(exc)) from None
    principal.note(request, "assembly_vote", proposal, {"choice": choice})
    return web.json_response({"adopted": [p.subject for p in folded.adopted]})


async def confederation_vote(request: web.Request) -> web.Response:
    """POST /api/v1/confederations/{name}/group-votes {proposal, choice}: a group's admin
    votes for the group on a proposal to adopt, where the charter has the groups vote."""
    group = await _group(request)
    proposal, choice = await _choice(request)
    try:
        folded = await assembly.vote_in_confederation(
            request.app[appkeys.DB],
            base_url=request.app[appkeys.SETTINGS].url,
            remote=request.app[appkeys.REMOTE],
            name=request.match_info["name"],
            group=group,
            proposal=proposal,
            yes=choice == "yes",
            now=request.app[appkeys.CLOCK](),
        )
    except ConfederationError as exc:
        raise Refusal(409, "refused", str(exc)) from None
    if folded is None:
        raise web.HTTPNotFound(reason="no such confederation on this node")
    principal.note(request, "confederation_group_vote", proposal, {"choice": choice})
    return web.json_response({"adopted": [p.subject for p in folded.adopted]})


async def decisions(request: web.Request) -> web.Response:
    return web.json_response(
        {
            "id": f"{assembly.assembly_id(request.app[appkeys.SETTINGS].url)}/decisions",
            "orderedItems": await store.records(request.app[appkeys.DB]),
        }
    )
