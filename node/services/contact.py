"""Capability contacts: a group with a call to action writes to the group that offers a
capability, as a direct message (a mention addressed to that actor alone)."""

from __future__ import annotations

import uuid
from datetime import datetime
from html import escape
from typing import Any

from federation.delivery.plan import recipient_of
from federation.vocab import activities
from node.domain.actors import LocalActor, actor_url, local_name
from node.movement.matching import Offer
from node.services.publish import plain_text_html, store_and_create
from node.services.remote import RemoteActors
from node.storage import actors as store, objects
from node.storage.db import Pool


async def known_offers(pool: Pool, base_url: str) -> list[Offer]:
    """Every public offer the node knows: its own and those its confederations relayed."""
    return [
        Offer(
            r["id"],
            r["actor"] or f"{base_url}/actors/{r['local_name']}",
            dict(r["fields"]),
        )
        for r in await objects.known_offers(pool)
    ]


async def _recipient_document(
    pool: Pool, base_url: str, remote: RemoteActors, target: str
) -> tuple[dict[str, Any], str]:
    """The offering actor's document (enough to deliver to) and its handle.

    Raises:
        FederationError: a remote actor that cannot be fetched.
    """
    name = local_name(base_url, target)
    if name is not None:
        return {"id": target, "inbox": f"{target}/inbox"}, name
    doc = await store.remote_actor(pool, target) or await remote.fetch_actor(target)
    return doc, str(doc.get("preferredUsername", "group"))


async def contact_offer(
    pool: Pool,
    *,
    base_url: str,
    remote: RemoteActors,
    actor: LocalActor,
    call: dict[str, Any],
    offer: Offer,
    text: str,
    now: datetime,
) -> dict[str, Any]:
    """Send `text` about `call` (id, body) to `offer`'s group as a direct Note; returns it.

    Raises:
        FederationError: the offering group's server cannot be reached.
    """
    target = offer.actor
    doc, handle = await _recipient_document(pool, base_url, remote, target)
    me = actor_url(base_url, actor)
    mention = (
        f'<span class="h-card"><a href="{escape(target)}" class="u-url mention">'
        f"@{escape(handle)}</a></span>"
    )
    title = call["body"].get("name") or call["body"].get("title") or call["id"]
    about = f'<p>About our call: <a href="{escape(call["id"])}">{escape(title)}</a></p>'
    note = activities.note(
        id=f"{me}/objects/{uuid.uuid4()}",
        actor=me,
        content_html=f"<p>{mention}</p>" + plain_text_html(text) + about,
        published=now,
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
            base_url=base_url,
            actor=actor,
            obj=note,
            public=False,
            extra_recipients=[recipient_of(doc)],
            to_followers=False,
        )
    return note
