"""The group inbox in `/admin`: what came back, unread first, filtered by kind and object;
mark read, answer (public or direct), hide a reply. Same session, origin and CSRF rules as
the publishing UI."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from federation.errors import FederationError
from node.domain.access import Need
from node.runtime import appkeys
from node.services import (
    actor_blocks,
    contact as contact_service,
    directory,
    group_inbox,
)
from node.storage import group_inbox as inbox_store, pledges as pledge_store
from node.web import principal
from node.web.api import own_object
from node.web.group_inbox import answer_errors, inbox_filters, item_id_of
from node.web.pages import HELP_LABELS, render
from node.web.pledges import shown
from node.web.signin import posted_form, signed_in

KIND_LABELS = {
    "reply": "Reply",
    "mention": "Mention",
    "direct": "Direct message",
    "report": "Report",
}


async def page(request: web.Request) -> web.Response:
    """GET /admin/inbox?kind=&about=&page=."""
    actor, csrf = await signed_in(request, Need.READ)
    filters = inbox_filters(request)
    shown = await group_inbox.listing(request.app[appkeys.DB], actor, **filters)
    return render(
        request,
        "admin/inbox.html",
        {
            "actor": actor,
            "csrf": csrf,
            "inbox": shown,
            "filters": filters,
            "kinds": KIND_LABELS,
            "done": request.query.get("done", ""),
            "error": "",
        },
    )


def _back(request: web.Request, done: str) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(location=f"/admin/inbox?done={done}")


async def read(request: web.Request) -> web.Response:
    actor, _csrf, _form = await posted_form(request, Need.READ)
    try:
        await group_inbox.mark_read(request.app[appkeys.DB], actor, item_id_of(request))
    except group_inbox.ItemNotFoundError:
        raise web.HTTPNotFound(reason="no such inbox item") from None
    raise _back(request, "read")


async def hide(request: web.Request) -> web.Response:
    actor, _csrf, form = await posted_form(request)
    hidden = form.get("hidden", "1") == "1"
    try:
        await group_inbox.hide(
            request.app[appkeys.DB], actor, item_id_of(request), hidden=hidden
        )
    except group_inbox.ItemNotFoundError:
        raise web.HTTPNotFound(reason="no such reply to this group's objects") from None
    raise _back(request, "hidden" if hidden else "shown")


async def reply(request: web.Request) -> web.Response:
    actor, csrf, form = await posted_form(request)
    item_id = item_id_of(request)
    data: dict[str, Any] = {
        "text": str(form.get("text", "")),
        "visibility": str(form.get("visibility", "public")),
    }
    errors = answer_errors(data)
    message = "; ".join(f"{e.field}: {e.message}" for e in errors)
    if not errors:
        try:
            await group_inbox.answer(
                request.app[appkeys.DB],
                base_url=request.app[appkeys.SETTINGS].url,
                remote=request.app[appkeys.REMOTE],
                actor=actor,
                item_id=item_id,
                text=data["text"],
                direct=data["visibility"] == "direct",
                now=request.app[appkeys.CLOCK](),
            )
        except group_inbox.ItemNotFoundError:
            raise web.HTTPNotFound(reason="no such inbox item") from None
        except (group_inbox.NotAnswerableError, FederationError) as exc:
            message = str(exc)
        else:
            raise _back(request, "answered")
    shown = await group_inbox.listing(request.app[appkeys.DB], actor)
    response = render(
        request,
        "admin/inbox.html",
        {
            "actor": actor,
            "csrf": csrf,
            "inbox": shown,
            "filters": {"kind": None, "about": None, "page": 1},
            "kinds": KIND_LABELS,
            "done": "",
            "error": message,
        },
    )
    response.set_status(422)
    return response


async def pledges_page(request: web.Request) -> web.Response:
    """GET /admin/call/{object_id}/pledges: who pledged to one of the group's calls."""
    actor, csrf = await signed_in(request, Need.READ)
    row = await own_object(request, actor, "call")
    principal.note(request, "pledges_read", row["id"])
    pool = request.app[appkeys.DB]
    return render(
        request,
        "admin/pledges.html",
        {
            "actor": actor,
            "csrf": csrf,
            "call": {"id": row["id"], "title": row["fields"].get("title", "")},
            "counts": await pledge_store.counts(pool, row["id"]),
            "pledges": [shown(r) for r in await pledge_store.of_call(pool, row["id"])],
            "help_labels": HELP_LABELS,
            "helping": await directory.helping(
                pool, request.app[appkeys.SETTINGS].url, dict(row["fields"])
            ),
            "done": request.query.get("done", ""),
        },
    )


async def contact(request: web.Request) -> web.Response:
    """POST /admin/call/{object_id}/contact: a direct message to an offer's group."""
    actor, _csrf, form = await posted_form(request)
    row = await own_object(request, actor, "call")
    settings = request.app[appkeys.SETTINGS]
    text = str(form.get("text", "")).strip()[:2000]
    offers = await contact_service.known_offers(request.app[appkeys.DB], settings.url)
    offer = next((o for o in offers if o.id == form.get("offer")), None)
    key = row["id"].rsplit("/", 1)[1]
    if offer is None or not text:
        raise web.HTTPSeeOther(location=f"/admin/call/{key}/pledges?done=not+sent")
    try:
        await contact_service.contact_offer(
            request.app[appkeys.DB],
            base_url=settings.url,
            remote=request.app[appkeys.REMOTE],
            actor=actor,
            call={"id": row["id"], "body": dict(row["body"])},
            offer=offer,
            text=text,
            now=request.app[appkeys.CLOCK](),
        )
    except FederationError:
        raise web.HTTPSeeOther(
            location=f"/admin/call/{key}/pledges?done=not+sent:+unreachable"
        ) from None
    raise web.HTTPSeeOther(location=f"/admin/call/{key}/pledges?done=sent")


async def _item_actor(request: web.Request, actor: Any) -> tuple[int, Any]:
    item_id = item_id_of(request)
    row = await inbox_store.item(request.app[appkeys.DB], actor.id, item_id)
    if row is None:
        raise web.HTTPNotFound(reason="no such inbox item")
    return item_id, row


async def block(request: web.Request) -> web.Response:
    """POST /admin/inbox/{id}/block: block the item's sender."""
    actor, _csrf, _form = await posted_form(request)
    _item_id, row = await _item_actor(request, actor)
    await actor_blocks.block(
        request.app[appkeys.DB],
        base_url=request.app[appkeys.SETTINGS].url,
        group=actor,
        actor=row["actor"],
        now=request.app[appkeys.CLOCK](),
    )
    raise _back(request, "blocked")


async def report(request: web.Request) -> web.Response:
    """POST /admin/inbox/{id}/report: report the sender (and this object) to its server."""
    actor, _csrf, form = await posted_form(request)
    _item_id, row = await _item_actor(request, actor)
    comment = str(form.get("comment", ""))[: actor_blocks.MAX_COMMENT]
    objects = [] if row["kind"] == "report" else [row["remote_id"]]
    try:
        await actor_blocks.report(
            request.app[appkeys.DB],
            base_url=request.app[appkeys.SETTINGS].url,
            remote=request.app[appkeys.REMOTE],
            actor=row["actor"],
            object_ids=objects,
            comment=comment,
        )
    except FederationError:
        raise _back(request, "not reported: the server cannot be reached") from None
    raise _back(request, "reported")
