"""Capability matching for a group's call to action, and a direct message to an offer's
group (a mention addressed to that actor alone)."""

from __future__ import annotations

import uuid
from html import escape
from typing import Any

from aiohttp import web

from federation.delivery.plan import recipient_of
from federation.errors import FederationError
from federation.vocab import activities
from node.domain.actors import actor_url, local_name
from node.movement.matching import Offer, rank
from node.movement.schemas import FieldError
from node.runtime import appkeys
from node.services.publish import plain_text_html, store_and_create
from node.storage import actors as store
from node.web.api import author, invalid, json_body

MAX_MATCHES = 50
OFFERS = """
    SELECT o.id, a.name AS local_name, NULL AS actor, o.fields FROM objects o
      JOIN local_actors a ON a.id = o.local_actor_id
     WHERE o.kind = 'offer' AND o.public AND o.deleted_at IS NULL
    UNION ALL
    SELECT id, NULL, actor, fields FROM remote_objects
     WHERE kind = 'offer' AND public AND deleted_at IS NULL"""


async def _own_call(request: web.Request) -> tuple[Any, Any]:
    actor = await author(request)
    base = request.app[appkeys.SETTINGS].url
    row = await request.app[appkeys.DB].fetchrow(
        """SELECT id, fields, body FROM objects WHERE id = $1 AND local_actor_id = $2
           AND kind = 'call' AND deleted_at IS NULL""",
        f"{actor_url(base, actor)}/objects/{request.match_info['object_id']}",
        actor.id,
    )
    if row is None:
        raise web.HTTPNotFound(reason="no such call of this group")
    return actor, row


async def _offers(request: web.Request) -> list[Offer]:
    base = request.app[appkeys.SETTINGS].url
    rows = await request.app[appkeys.DB].fetch(OFFERS)
    return [
        Offer(
            r["id"],
            r["actor"] or f"{base}/actors/{r['local_name']}",
            dict(r["fields"]),
        )
        for r in rows
    ]


async def matches(request: web.Request) -> web.Response:
    """GET /api/v1/calls/{id}/matches: the offers this node knows (its own and those its
    confederations relayed), best first."""
    _actor, call = await _own_call(request)
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
    actor, call = await _own_call(request)
    data = await json_body(request)
    errors = _contact_errors(data)
    if errors:
        return invalid(errors)
    offer = next((o for o in await _offers(request) if o.id == data["offer"]), None)
    if offer is None:
        raise web.HTTPNotFound(reason="this node knows no such capability offer")
    settings = request.app[appkeys.SETTINGS]
    pool = request.app[appkeys.DB]
    target = offer.actor
    if local_name(settings.url, target) is not None:
        doc: dict[str, Any] = {"id": target, "inbox": f"{target}/inbox"}
        handle = local_name(settings.url, target)
    else:
        cached = await store.remote_actor(pool, target)
        if cached is not None:
            doc = cached
        else:
            try:
                doc = await request.app[appkeys.REMOTE].fetch_actor(target)
            except FederationError as exc:
                raise web.HTTPBadGateway(
                    reason=f"cannot reach {target}: {exc}"
                ) from None
        handle = doc.get("preferredUsername", "group")
    me = actor_url(settings.url, actor)
    mention = (
        f'<span class="h-card"><a href="{escape(target)}" class="u-url mention">'
        f"@{escape(str(handle))}</a></span>"
    )
    about = f'<p>About our call: <a href="{escape(call["id"])}">{escape(call["body"].get("name", call["id"]))}</a></p>'
    note = activities.note(
        id=f"{me}/objects/{uuid.uuid4()}",
        actor=me,
        content_html=f"<p>{mention}</p>" + plain_text_html(data["text"]) + about,
        published=request.app[appkeys.CLOCK](),
        followers=f"{me}/followers",
    )
    note |= {
        "@context": activities.AS_CONTEXT,
        "to": [target],
        "cc": [],
        "inReplyTo": offer.id,
        "tag": [{"type": "Mention", "href": target, "name": f"@{handle}"}],
    }
    async with pool.acquire() as conn, conn.transaction():
        await store_and_create(
            conn,
            base_url=settings.url,
            actor=actor,
            obj=note,
            public=False,
            extra_recipients=[recipient_of(doc)],
            to_followers=False,
        )
    return web.json_response({"id": note["id"], "to": target}, status=201)
