"""Recipients -> the set of inboxes to POST to (shared inboxes de-duplicated)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Set
from dataclasses import dataclass
from typing import Any

from federation import domains
from federation.origin import same_origin


@dataclass(frozen=True, slots=True)
class Recipient:
    actor: str
    inbox: str
    shared_inbox: str | None = None


def recipient_of(actor: dict[str, Any]) -> Recipient:
    """An actor document as a delivery recipient; a shared inbox counts only on the actor's origin."""
    endpoints = actor.get("endpoints")
    shared = endpoints.get("sharedInbox") if isinstance(endpoints, dict) else None
    usable = isinstance(shared, str) and same_origin(shared, actor["id"])
    return Recipient(actor["id"], actor["inbox"], shared if usable else None)


def plan_inboxes(
    recipients: Iterable[Recipient],
    *,
    local_base: str,
    blocked_hosts: frozenset[str] = frozenset(),
) -> list[str]:
    """One inbox per delivery: a recipient's shared inbox when it has one on its own origin.

    Local recipients (our own base URL) and blocked hosts are dropped. Order is stable.
    """
    seen: dict[str, None] = {}
    for r in recipients:
        inbox = (
            r.shared_inbox
            if r.shared_inbox and same_origin(r.shared_inbox, r.actor)
            else r.inbox
        )
        if same_origin(inbox, local_base) or _blocked(inbox, blocked_hosts):
            continue
        seen.setdefault(inbox, None)
    return list(seen)


def _blocked(inbox: str, blocked: frozenset[str]) -> bool:
    """Whether `inbox`'s host is a blocked domain or a subdomain of one (any port)."""
    host = domains.host_of(inbox)
    return host is not None and any(domains.covers(d, host) for d in blocked)


def uncovered(
    followers_by_inbox: Mapping[str, Set[str]], covered: Mapping[str, Set[str]]
) -> tuple[list[str], dict[str, set[str]]]:
    """The inboxes a relaying actor's boost must still go to, and the coverage after it.

    `followers_by_inbox` are its followers by delivery inbox; `covered` who already gets
    the object at each inbox (the author's Create, an earlier boost of the same
    publication). A boost to an inbox all of whose followers are covered would show them
    the object twice; anyone not yet covered there needs it."""
    after = {inbox: set(actors) for inbox, actors in covered.items()}
    needed = []
    for inbox, actors in followers_by_inbox.items():
        have = after.setdefault(inbox, set())
        if not actors <= have:
            needed.append(inbox)
            have |= actors
    return needed, after
