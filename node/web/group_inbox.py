"""The group inbox API (`/api/v1/inbox`, the group's bearer token): what came back to the
group — replies, mentions, direct messages, reports — read, answered and (replies) hidden.
Another group's item is a 404, as if it did not exist."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from federation.errors import FederationError
from node.domain.access import Need
from node.movement.schemas import FieldError
from node.runtime import appkeys
from node.services import group_inbox
from node.web.api import author, invalid, json_body

MAX_PAGE = 1000


def item_id_of(request: web.Request) -> int:
    raw = request.match_info["item_id"]
    if not raw.isdigit() or len(raw) > 18:
        raise web.HTTPNotFound(reason="no such inbox item")
    return int(raw)


def inbox_filters(request: web.Request) -> dict[str, Any]:
    kind = request.query.get("kind") or None
    if kind is not None and kind not in group_inbox.KINDS:
        raise web.HTTPBadRequest(
            reason=f"kind: must be one of {', '.join(group_inbox.KINDS)}"
        )
    page_raw = request.query.get("page", "1")
    if not page_raw.isdigit() or not 1 <= int(page_raw) <= MAX_PAGE:
        raise web.HTTPBadRequest(reason=f"page: a whole number from 1 to {MAX_PAGE}")
    about = request.query.get("about") or None
    if about is not None and len(about) > 2048:
        raise web.HTTPBadRequest(
            reason="about: an object IRI of at most 2048 characters"
        )
    return {"kind": kind, "about": about, "page": int(page_raw)}


async def listing(request: web.Request) -> web.Response:
    """GET /api/v1/inbox?kind=&about=&page=: unread first, newest first, 20 a page."""
    actor = await author(request, Need.READ)
    shown = await group_inbox.listing(
        request.app[appkeys.DB], actor, **inbox_filters(request)
    )
    return web.json_response(shown)


async def mark_read(request: web.Request) -> web.Response:
    """POST /api/v1/inbox/{id}/read (reading is a viewer's)."""
    actor = await author(request, Need.READ)
    item_id = item_id_of(request)
    try:
        await group_inbox.mark_read(request.app[appkeys.DB], actor, item_id)
    except group_inbox.ItemNotFoundError:
        raise web.HTTPNotFound(reason="no such inbox item") from None
    return web.json_response({"id": item_id, "read": True})


async def _hide(request: web.Request, *, hidden: bool) -> web.Response:
    actor = await author(request)
    item_id = item_id_of(request)
    try:
        await group_inbox.hide(request.app[appkeys.DB], actor, item_id, hidden=hidden)
    except group_inbox.ItemNotFoundError:
        raise web.HTTPNotFound(reason="no such reply to this group's objects") from None
    return web.json_response({"id": item_id, "hidden": hidden})


async def hide(request: web.Request) -> web.Response:
    """POST /api/v1/inbox/{id}/hide: the reply leaves the object's page and replies."""
    return await _hide(request, hidden=True)


async def unhide(request: web.Request) -> web.Response:
    """POST /api/v1/inbox/{id}/unhide."""
    return await _hide(request, hidden=False)


def answer_errors(data: Any) -> list[FieldError]:
    if not isinstance(data, dict):
        return [FieldError("", "must be a JSON object")]
    errors = []
    text = data.get("text")
    if not isinstance(text, str) or not text.strip():
        errors.append(FieldError("text", "is required: a non-empty string"))
    elif len(text) > group_inbox.MAX_ANSWER:
        errors.append(
            FieldError("text", f"is longer than {group_inbox.MAX_ANSWER} characters")
        )
    if data.get("visibility", "public") not in ("public", "direct"):
        errors.append(FieldError("visibility", 'must be "public" or "direct"'))
    errors += [
        FieldError(k, "is not a property of an answer")
        for k in data
        if k not in ("text", "visibility")
    ]
    return errors


async def reply(request: web.Request) -> web.Response:
    """POST /api/v1/inbox/{id}/reply {text, visibility: public|direct}: a Create{Note} in
    reply, to the followers and the sender, or to the sender alone."""
    actor = await author(request)
    item_id = item_id_of(request)
    data = await json_body(request)
    errors = answer_errors(data)
    if errors:
        return invalid(errors)
    try:
        note = await group_inbox.answer(
            request.app[appkeys.DB],
            base_url=request.app[appkeys.SETTINGS].url,
            remote=request.app[appkeys.REMOTE],
            actor=actor,
            item_id=item_id,
            text=data["text"],
            direct=data.get("visibility") == "direct",
            now=request.app[appkeys.CLOCK](),
        )
    except group_inbox.ItemNotFoundError:
        raise web.HTTPNotFound(reason="no such inbox item") from None
    except group_inbox.NotAnswerableError as exc:
        return invalid([FieldError("", str(exc))])
    except FederationError as exc:
        raise web.HTTPBadGateway(reason=f"cannot reach the sender: {exc}") from None
    return web.json_response(
        {"id": note["id"], "object": note}, status=201, headers={"Location": note["id"]}
    )
