"""Receiving an activity: refuse hosts we do not federate with, verify who signed it,
check it against its signer, and store it durably (once per activity id) for the
processors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog

from federation.inbox import IncomingActivity, accept, check_activity
from federation.origin import authority
from federation.sig.verify import claim_of
from federation.types import HttpRequest
from node.services.remote import RemoteActors
from node.services.signatures import verified_signer
from node.storage import domains, inbox
from node.storage.db import Pool

log = structlog.get_logger(__name__)


class DomainRefusedError(Exception):
    """The request comes from (or names as its actor) a host we do not federate with."""


@dataclass(frozen=True, slots=True)
class Received:
    activity: IncomingActivity
    stored: bool  # False: this activity id was stored before (a duplicate)


def claimed_hosts(key_id: str, activity: Any) -> set[str]:
    """The hosts a request speaks for: its signing key's and its actor's."""
    urls = (key_id, activity.get("actor") if isinstance(activity, dict) else None)
    return {
        authority(u)
        for u in urls
        if isinstance(u, str) and u.startswith(("http://", "https://"))
    }


async def refuse_blocked(pool: Pool, hosts: set[str], *, allowlist: bool) -> None:
    """The domain policy: blocked hosts (and, in allowlist mode, hosts not allowed).

    Raises:
        DomainRefusedError: one of `hosts` is refused.
    """
    for host in hosts:
        if await domains.is_refused(pool, host, allowlist_mode=allowlist):
            msg = "this server does not federate with your domain"
            raise DomainRefusedError(msg)


async def receive(
    pool: Pool,
    message: HttpRequest,
    activity: Any,
    *,
    remote: RemoteActors,
    allowlist: bool,
    now: datetime,
    window: timedelta,
) -> Received:
    """Refuse, verify, check and store one POSTed activity (parsed from `message`).

    Raises:
        DomainRefusedError, and the FederationErrors of the signature and activity checks.
    """
    check_activity(activity)  # its shape first: a malformed one costs no key fetch
    claim = claim_of(message)
    await refuse_blocked(
        pool, claimed_hosts(claim.key_id, activity), allowlist=allowlist
    )
    signer = await verified_signer(message, remote=remote, now=now, window=window)
    incoming = accept(activity, signer=signer)
    row = await inbox.insert(
        pool,
        activity_id=incoming.id,
        actor=incoming.actor,
        type_=incoming.type,
        body=incoming.raw,
    )
    log.info(
        "inbox_accepted" if row is not None else "inbox_duplicate",
        type=incoming.type,
        activity_id=incoming.id,
        actor=incoming.actor,
    )
    return Received(incoming, stored=row is not None)
