"""A group's moderation through the API (its token): block and unblock a remote actor,
list its blocks, and report an actor to its own server (a Flag from our instance actor)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from federation.errors import FederationError
from federation.origin import same_origin
from node.domain.access import Need
from node.domain.actors import local_name
from node.movement.schemas import FieldError
from node.runtime import appkeys
from node.services import actor_blocks, group_inbox
from node.storage import blocks as block_store, follows, group_inbox as inbox_store
from node.web import principal
from node.web.api import author, invalid, json_body
from node.web.middleware import Refusal


def _actor_errors(data: Any, allowed: set[str]) -> list[FieldError]:
    if not isinstance(data, dict):
        return [FieldError("", "must be a JSON object")]
    errors = []
    actor = data.get("actor")
    if not isinstance(actor, str) or not actor.startswith(("https://", "http://")):
        errors.append(FieldError("actor", "is required: the actor's http(s) IRI"))
    elif len(actor) > 2048:
        errors.append(FieldError("actor", "is longer than 2048 characters"))
    return errors + [
        FieldError(k, "is not a property of this request")
        for k in data
        if k not in allowed
    ]


def _remote(request: web.Request, actor: str) -> None:
    if local_name(request.app[appkeys.SETTINGS].url, actor) is not None:
        raise Refusal(422, "local_actor", "a local actor is moderated by the operator")


async def block(request: web.Request) -> web.Response:
    """POST /api/v1/blocks {actor}."""
    group = await author(request)
    data = await json_body(request)
    errors = _actor_errors(data, {"actor"})
    if errors:
        return invalid(errors)
    _remote(request, data["actor"])
    undone = await actor_blocks.block(
        request.app[appkeys.DB],
        base_url=request.app[appkeys.SETTINGS].url,
        group=group,
        actor=data["actor"],
        now=request.app[appkeys.CLOCK](),
    )
    principal.note(request, "block", data["actor"], dict(undone))
    return web.json_response({"actor": data["actor"], "blocked": True, **undone})


async def unblock(request: web.Request) -> web.Response:
    """DELETE /api/v1/blocks?actor=IRI."""
    group = await author(request)
    actor = request.query.get("actor", "")
    if not await actor_blocks.unblock(
        request.app[appkeys.DB], group=group, actor=actor
    ):
        raise web.HTTPNotFound(reason="this group does not block that actor")
    principal.note(request, "unblock", actor)
    return web.Response(status=204)


async def listing(request: web.Request) -> web.Response:
    """GET /api/v1/blocks."""
    group = await author(request, Need.READ)
    rows = await block_store.of(request.app[appkeys.DB], group.id)
    items = []
    for r in rows:
        who = group_inbox.person(r["actor"], r["document"])
        items.append(
            {
                "actor": who.as_json(),
                "blocked_at": r["created_at"].isoformat(),
            }
        )
    return web.json_response({"items": items})


def _report_errors(data: Any) -> list[FieldError]:
    errors = _actor_errors(data, {"actor", "objects", "comment"})
    if not isinstance(data, dict) or errors:
        return errors
    comment = data.get("comment", "")
    if not isinstance(comment, str) or len(comment) > actor_blocks.MAX_COMMENT:
        errors.append(
            FieldError(
                "comment", f"a string of at most {actor_blocks.MAX_COMMENT} characters"
            )
        )
    listed = data.get("objects", [])
    if not isinstance(listed, list) or len(listed) > actor_blocks.MAX_REPORTED:
        errors.append(
            FieldError("objects", f"a list of at most {actor_blocks.MAX_REPORTED} IRIs")
        )
    else:
        errors += [
            FieldError(
                f"objects.{i}", "must be an object of the reported actor's server"
            )
            for i, o in enumerate(listed)
            if not isinstance(o, str) or not same_origin(o, data["actor"])
        ]
    return errors


async def report(request: web.Request) -> web.Response:
    """POST /api/v1/reports {actor, objects?, comment?}: only an actor the group has dealt
    with (it follows, wrote to or is blocked by the group) can be reported."""
    group = await author(request)
    data = await json_body(request)
    errors = _report_errors(data)
    if errors:
        return invalid(errors)
    actor = data["actor"]
    _remote(request, actor)
    pool = request.app[appkeys.DB]
    if not (
        await inbox_store.has_written(pool, group.id, actor)
        or await follows.is_accepted_follower(pool, group.id, actor)
        or await block_store.is_blocked(pool, group.id, actor)
    ):
        raise Refusal(
            422,
            "not_in_touch",
            "only an actor who follows, wrote to or is blocked by the group",
        )
    try:
        flag = await actor_blocks.report(
            pool,
            base_url=request.app[appkeys.SETTINGS].url,
            remote=request.app[appkeys.REMOTE],
            actor=actor,
            object_ids=list(data.get("objects", [])),
            comment=str(data.get("comment", "")),
        )
    except FederationError as exc:
        raise web.HTTPBadGateway(reason=f"cannot reach {actor}: {exc}") from None
    return web.json_response({"id": flag["id"], "to": actor}, status=201)
