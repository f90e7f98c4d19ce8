"""The authoring API (`/api/v1/{visions|calls|offers|proposals}`, bearer tokens) and the
public read API (`/api/v1/objects`). Bad input: a precise 4xx with a JSON body, nothing stored."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web

from federation import jsonshape
from federation.audience import Audience, Reader, can_read
from node.domain.access import Need
from node.domain.actors import LocalActor, actor_url
from node.movement.schemas import KINDS
from node.runtime import appkeys
from node.services import movement, people, polls
from node.storage import objects, pledges, remote_objects
from node.web import principal

COLLECTIONS = {
    "visions": "vision",
    "calls": "call",
    "offers": "offer",
    "proposals": "proposal",
}
MAX_BODY = 256 * 1024
PAGE = 20


def invalid(errors: list[Any]) -> web.Response:
    return web.json_response(
        {
            "error": "invalid_input",
            "message": "invalid input",
            "status": 422,
            "fields": [e.as_json() for e in errors],
        },
        status=422,
    )


async def bearer(request: web.Request) -> LocalActor | None:
    """The local actor the request's bearer token acts for; None without a token, 401 for
    a token that is malformed, unknown, revoked or expired."""
    found = await principal.bearer(request)
    return None if found is None else found.actor


async def author(request: web.Request, need: Need = Need.WRITE) -> LocalActor:
    """The group a valid `Authorization: Bearer` token acts for, when its role there is at
    least `need` (401 without a token, 403 for too small a role)."""
    found = await principal.bearer(request)
    if found is None:
        raise principal.unauthorized(why="a bearer token is required")
    actor = principal.require(found, need)
    if actor.kind not in movement.AUTHOR_KINDS:
        raise web.HTTPForbidden(reason=f"a {actor.kind} actor cannot publish")
    return actor


async def json_body(request: web.Request) -> Any:
    if request.content_type != "application/json":
        raise web.HTTPUnsupportedMediaType(reason="send application/json")
    raw = (
        await request.read()
    )  # whole; the app's client_max_size (1 MiB) answers 413 above it
    if len(raw) > MAX_BODY:
        raise web.HTTPRequestEntityTooLarge(max_size=MAX_BODY, actual_size=len(raw))
    return jsonshape.parse(raw)  # DocumentError: a 400 with its code


def _kind(request: web.Request) -> str:
    return COLLECTIONS[request.match_info["collection"]]


def own_object_id(request: web.Request, actor: LocalActor) -> str:
    """The id of `actor`'s object named by the path's `{object_id}`."""
    base = request.app[appkeys.SETTINGS].url
    return f"{actor_url(base, actor)}/objects/{request.match_info['object_id']}"


def _view(row: Any) -> dict[str, Any]:
    return {
        "id": row["id"],
        "kind": row["kind"],
        "fields": row["fields"],
        "object": row["body"],
        "published": row["published_at"].isoformat(),
    }


async def create(request: web.Request) -> web.Response:
    actor = await author(request)
    data = await json_body(request)
    settings = request.app[appkeys.SETTINGS]
    try:
        obj = await movement.create_object(
            request.app[appkeys.DB],
            base_url=settings.url,
            actor=actor,
            kind=_kind(request),
            data=data,
            now=request.app[appkeys.CLOCK](),
        )
    except movement.InvalidInputError as exc:
        return invalid(exc.errors)
    principal.note(request, "publish", obj["id"], {"kind": _kind(request)})
    return web.json_response(
        {"id": obj["id"], "kind": _kind(request), "fields": data, "object": obj},
        status=201,
        headers={"Location": obj["id"]},
    )


async def update(request: web.Request) -> web.Response:
    actor = await author(request)
    data = await json_body(request)
    try:
        obj = await movement.update_object(
            request.app[appkeys.DB],
            base_url=request.app[appkeys.SETTINGS].url,
            actor=actor,
            object_id=own_object_id(request, actor),
            data=data,
            now=request.app[appkeys.CLOCK](),
        )
    except movement.ObjectNotFoundError:
        raise web.HTTPNotFound(reason="no such object of this group") from None
    except movement.InvalidInputError as exc:
        return invalid(exc.errors)
    principal.note(request, "edit", obj["id"], {"fields": sorted(data)})
    return web.json_response({"id": obj["id"], "fields": data, "object": obj})


async def delete(request: web.Request) -> web.Response:
    """DELETE: a Tombstone and a Delete sent; 202 with the pending action's id when the
    group wants a second admin to approve deletions."""
    actor = await author(request)
    object_id = own_object_id(request, actor)
    await own_object(request, actor, _kind(request))
    try:
        held = await people.delete(
            request.app[appkeys.DB],
            request[principal.ACTING],
            object_id=object_id,
            base_url=request.app[appkeys.SETTINGS].url,
            now=request.app[appkeys.CLOCK](),
        )
    except movement.ObjectNotFoundError:
        raise web.HTTPNotFound(reason="no such object of this group") from None
    if held is not None:
        principal.note(request, "delete_requested", object_id, {"pending": held})
        return principal.awaiting(held)
    principal.note(request, "delete", object_id)
    return web.Response(status=204)


async def own_object(request: web.Request, actor: LocalActor, kind: str) -> Any:
    """`actor`'s live object of `kind` named by the path (404 for any other)."""
    row = await objects.own(
        request.app[appkeys.DB], actor.id, own_object_id(request, actor), kind
    )
    if row is None:
        raise web.HTTPNotFound(reason="no such object of this group")
    return row


async def with_counts(
    request: web.Request, shown: dict[str, Any], *, organiser: bool = False
) -> dict[str, Any]:
    """A call's public pledge counts beside it (who pledged: GET .../pledges, the group's);
    a proposal's tallies, electorate and outcome (`refused` only for its group)."""
    pool = request.app[appkeys.DB]
    if shown["kind"] == "call":
        return shown | {"pledges": await pledges.counts(pool, shown["id"])}
    if shown["kind"] == "proposal" and shown.get("local", True):
        votes = await polls.summary(pool, shown["id"])
        if votes is not None and not organiser:
            votes.pop("refused")
        return shown | {"votes": votes}
    return shown


async def get_own(request: web.Request) -> web.Response:
    actor = await author(request, Need.READ)
    row = await own_object(request, actor, _kind(request))
    return web.json_response(await with_counts(request, _view(row), organiser=True))


def _when(request: web.Request, name: str) -> datetime | None:
    value = request.query.get(name)
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise web.HTTPBadRequest(
            reason=f"{name}: not an RFC 3339 date-time with an offset: {value!r}"
        )
    return parsed


async def list_own(request: web.Request) -> web.Response:
    """The token's group's objects of one kind, newest first (paged by `before`)."""
    actor = await author(request, Need.READ)
    rows = await objects.own_page(
        request.app[appkeys.DB],
        actor.id,
        _kind(request),
        before=_when(request, "before"),
        limit=PAGE,
    )
    return web.json_response(_page([_view(r) for r in rows], request))


def _page(items: list[dict[str, Any]], request: web.Request) -> dict[str, Any]:
    page: dict[str, Any] = {"items": items}
    if len(items) == PAGE:
        page["next"] = str(request.rel_url.update_query(before=items[-1]["published"]))
    return page


async def read_objects(request: web.Request) -> web.Response:
    """GET /api/v1/objects?kind=&cluster=&since=&before= — public movement objects, local
    and federated, newest first. Followers-only objects are never listed."""
    kind = request.query.get("kind")
    if kind is not None and kind not in KINDS:
        raise web.HTTPBadRequest(reason=f"kind: must be one of {', '.join(KINDS)}")
    cluster = request.query.get("cluster")
    rows = await objects.public_movement(
        request.app[appkeys.DB],
        kind=kind,
        cluster=cluster,
        since=_when(request, "since"),
        before=_when(request, "before"),
        limit=PAGE,
    )
    items = [{**_view(r), "local": r["local"]} for r in rows]
    return web.json_response(_page(items, request))


async def read_object(request: web.Request) -> web.Response:
    """GET /api/v1/object?id=IRI — one movement object, local or federated. Public objects
    are shown to anyone; a followers-only one only with the token of its author (local) or of
    a local actor that follows its author (federated). Anyone else gets 404, as if it did not
    exist."""
    object_id = request.query.get("id", "").strip()
    if not object_id:
        raise web.HTTPBadRequest(reason="id: the object's IRI is required")
    viewer = await bearer(request)
    pool = request.app[appkeys.DB]
    base = request.app[appkeys.SETTINGS].url
    reader = Reader(None if viewer is None else actor_url(base, viewer))
    row = await objects.live_movement(pool, object_id)
    if row is not None:
        author = f"{base}/actors/{row['author']}"
        if can_read(Audience(row["public"], author=author), reader):
            shown = await with_counts(request, {**_view(row), "local": True})
            return web.json_response(shown)
        raise web.HTTPNotFound(reason="no such object")
    row = await remote_objects.live_movement_for(
        pool, object_id, None if viewer is None else viewer.id
    )
    if row is None or not can_read(
        Audience(row["public"], to_followers=True),
        Reader(reader.actor, follows_author=bool(row["followed"])),
    ):
        raise web.HTTPNotFound(reason="no such object")
    return web.json_response({**_view(row), "local": False})
