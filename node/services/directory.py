"""The movement's capability directory: every offer the node knows (its own groups' and
those its confederations relayed), by capability and area, with its group's name; and the
offers that can help a call."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from node.domain.actors import local_name
from node.movement.matching import Offer, rank
from node.services import contact, group_inbox
from node.storage import actors as store, pages
from node.storage.db import Pool

HELPING = 5  # offers shown on a call's page


@dataclass(frozen=True, slots=True)
class ListedOffer:
    id: str
    fields: dict[str, Any]
    group: group_inbox.Person
    local: bool


async def _named(pool: Pool, base_url: str, offers: list[Offer]) -> list[ListedOffer]:
    remote = [o.actor for o in offers if local_name(base_url, o.actor) is None]
    documents = await pages.remote_actor_documents(pool, remote)
    listed = []
    for offer in offers:
        name = local_name(base_url, offer.actor)
        if name is not None:
            local = await store.local_by_name(pool, name)
            host = base_url.split("://", 1)[1]
            who = group_inbox.Person(
                offer.actor,
                (local.display_name if local else "") or name,
                f"@{name}@{host}",
                offer.actor,
            )
        else:
            who = group_inbox.person(offer.actor, documents.get(offer.actor))
        listed.append(ListedOffer(offer.id, offer.fields, who, name is not None))
    return listed


async def offers(
    pool: Pool, base_url: str, *, capability: str | None, area: str | None
) -> list[ListedOffer]:
    """Every known offer of `capability` whose area mentions `area`, by capability, title."""
    found = [
        o
        for o in await contact.known_offers(pool, base_url)
        if (capability is None or o.fields.get("capability") == capability)
        and (
            area is None
            or area.casefold() in str(o.fields.get("areaServed", "")).casefold()
        )
    ]
    found.sort(
        key=lambda o: (str(o.fields.get("capability")), str(o.fields.get("title")))
    )
    return await _named(pool, base_url, found)


async def helping(
    pool: Pool, base_url: str, call_fields: dict[str, Any]
) -> list[ListedOffer]:
    """The offers of a capability the call needs, best first (area, then availability)."""
    ranked = [
        m.offer
        for m in rank(call_fields, await contact.known_offers(pool, base_url))
        if m.kind
    ]
    return await _named(pool, base_url, ranked[:HELPING])
