"""Receiving an activity: refuse hosts we do not federate with, verify who signed it,
check it against its signer, and store it durably (once per activity id) for the
processors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog

from federation import domains
from federation.audience import PUBLIC_FORMS
from federation.domains import MAX_HOSTS
from federation.errors import DocumentError, SignatureInvalidError
from federation.inbox import IncomingActivity, accept, check_activity
from federation.relays import relayed_id
from federation.sig.verify import claim_of
from federation.types import HttpRequest, SignatureClaim
from node.services import relays, signatures
from node.services.domain_policy import DomainPolicy
from node.services.inbox_writer import InboxWriter
from node.services.remote import RemoteActors
from node.storage.db import Pool

log = structlog.get_logger(__name__)


class DomainRefusedError(Exception):
    """The request comes from (or names as its actor) a host we do not federate with."""


@dataclass(frozen=True, slots=True)
class Received:
    activity: IncomingActivity
    stored: bool  # False: this activity id was stored before (a duplicate)


_NAMING = (
    "actor",
    "object",
    "target",
    "to",
    "cc",
    "bto",
    "bcc",
    "audience",
    "inReplyTo",
)


def _urls(value: Any, depth: int = 0) -> list[str]:
    """The URLs a property names: ids, or the ids and naming properties of an embedded
    object (one level down: an activity's object)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [u for item in value[: MAX_HOSTS * 2] for u in _urls(item, depth)]
    if isinstance(value, dict) and depth < 2:
        found = [value["id"]] if isinstance(value.get("id"), str) else []
        for key in (*_NAMING, "attributedTo"):
            if key in value:
                found += _urls(value[key], depth + 1)
        return found
    return []


def claimed_hosts(key_id: str, activity: Any) -> set[str]:
    """The hosts a request speaks for or names: its signing key's, its actor's, and every
    host its object, target, audience and inReplyTo name.

    Raises:
        DocumentError: it names more than MAX_HOSTS hosts (400 too_many_hosts).
    """
    urls = [key_id, *(_urls(activity, 0) if isinstance(activity, dict) else [])]
    hosts = {
        h
        for u in urls
        if u not in PUBLIC_FORMS and (h := domains.host_of(u)) is not None
    }
    if len(hosts) > MAX_HOSTS:
        msg = f"an activity may name at most {MAX_HOSTS} hosts"
        raise DocumentError(msg, code="too_many_hosts", status=400)
    return hosts


async def refuse_blocked(
    policy: DomainPolicy, hosts: set[str], *, speaking: set[str], allowlist: bool
) -> None:
    """The domain policy: blocked hosts and their subdomains (and, in allowlist mode,
    hosts not allowed), whichever of them the request names.

    Raises:
        DomainRefusedError: one of `hosts` is refused.
    """
    if await policy.refused_among(sorted(hosts), allowlist_mode=False):
        msg = "this server does not federate with a domain this activity names"
        raise DomainRefusedError(msg)
    if allowlist and await policy.refused_among(sorted(speaking), allowlist_mode=True):
        msg = "this server federates only with the domains it allows"
        raise DomainRefusedError(msg)


async def receive(
    pool: Pool,
    message: HttpRequest,
    activity: Any,
    *,
    remote: RemoteActors,
    policy: DomainPolicy,
    writer: InboxWriter,
    allowlist: bool,
    now: datetime,
    window: timedelta,
    claim: SignatureClaim | None = None,
) -> Received:
    """Refuse, verify, check and store one POSTed activity (parsed from `message`;
    `claim`: its claim_of, when the caller read it already).

    Raises:
        DomainRefusedError, and the FederationErrors of the signature and activity checks.
    """
    check_activity(activity)  # its shape first: a malformed one costs no key fetch
    claim = claim or claim_of(message)
    speaking = {
        h
        for u in (claim.key_id, activity.get("actor"))
        if isinstance(u, str) and (h := domains.host_of(u)) is not None
    }
    await refuse_blocked(
        policy,
        claimed_hosts(claim.key_id, activity),
        speaking=speaking,
        allowlist=allowlist,
    )
    signer = await signatures.verified_signer(
        message, remote=remote, now=now, window=window, claim=claim
    )
    try:
        incoming = accept(activity, signer=signer)
        key, actor = incoming.id, incoming.actor
    except SignatureInvalidError as exc:
        # a relay forwarding another actor's activity: kept as the relay's, and its
        # object read again from its origin when processed (node.services.relays)
        incoming = check_activity(activity)
        if (
            exc.code != "signer_actor_mismatch"
            or incoming.id is None
            or not await relays.forwarded_by(pool, signer, activity)
        ):
            raise
        key, actor = relayed_id(incoming.id, signer), signer
    stored = await writer.store((key, actor, incoming.type, incoming.raw))
    log.info(
        "inbox_accepted" if stored else "inbox_duplicate",
        type=incoming.type,
        activity_id=incoming.id,
        actor=incoming.actor,
    )
    return Received(incoming, stored=stored)
