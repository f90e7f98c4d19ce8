"""Joining a confederation and catching up: the Join a node sends, the proposal a replica
answers it with, and fetching missed records from any replica's `decisions`."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import structlog

from federation import proofs
from federation.delivery.plan import recipient_of
from federation.errors import FederationError
from federation.inbox import IncomingActivity
from federation.vocab.read import id_of
from node.confederation import records as rec
from node.confederation.governance import (
    ConfederationError,
    _local,
    _publish_record,
    accept_records,
    apply,
    state_of,
)
from node.domain.actors import LocalActor, actor_url
from node.services.actors import sign_document
from node.services.context import Context
from node.services.follow import new_activity_id
from node.services.publish import enqueue
from node.services.remote import RemoteActors
from node.storage import actors as store, confederations as cstore
from node.storage.confederations import Confederation
from node.storage.db import Connection

log = structlog.get_logger(__name__)
MAX_PAGES = 100


async def ask_to_join(
    conn: Connection,
    *,
    base_url: str,
    remote: RemoteActors,
    replica_doc: dict[str, Any],
    history: list[dict[str, Any]],
    member: LocalActor,
    now: datetime,
) -> Confederation:
    """Store the confederation as the replica showed it (`history`: its decisions, charter
    first) and send a signed Join to that replica."""
    conf_id = id_of(replica_doc.get("confederation"))
    if conf_id is None or not history:
        msg = f"{replica_doc.get('id')} is not a confederation replica"
        raise ConfederationError(msg)
    try:
        charter = rec.read_charter(history[0], expected_id=conf_id)
    except FederationError as exc:
        msg = f"the charter does not check out: {exc}"
        raise ConfederationError(msg) from None
    await cstore.insert(
        conn,
        id=conf_id,
        charter=charter.document,
        member_actor_id=member.id,
        replica_actor_id=None,
        sources=[replica_doc["id"]],
    )
    conf = await cstore.get(conn, conf_id)
    if conf is None or conf.member_actor_id != member.id:
        msg = "this node is already in that confederation as another actor"
        raise ConfederationError(msg)
    await accept_records(conn, conf, history[1:])
    state = await apply(conn, base_url=base_url, remote=remote, conf=conf)
    if actor_url(base_url, member) in state.members:
        return conf
    join = rec.join(
        id=new_activity_id(base_url, member),
        actor=actor_url(base_url, member),
        confederation=conf_id,
        key=str(member.proof_public),
        published=now,
    )
    signed = await sign_document(
        conn, base_url=base_url, actor=member, document=join, now=now
    )
    await enqueue(
        conn,
        base_url=base_url,
        signer=member,
        activity=signed,
        to=[recipient_of(replica_doc)],
    )
    log.info("confederation_join_sent", confederation=conf_id, via=replica_doc["id"])
    return conf


async def handle_join(
    conn: Connection,
    act: IncomingActivity,
    ctx: Context,
) -> None:
    """A node asks a replica of ours to join: answer with a proposal to admit it (which an
    open charter carries at once), sent to every member and to the node."""
    base_url, remote, now = ctx.base_url, ctx.remote, ctx.now()
    conf = (
        None
        if act.object_id is None
        else await cstore.get(conn, act.object_id, lock=True)
    )
    if conf is None or conf.replica_actor_id is None:
        log.info("join_ignored", reason="not a confederation we are a member of")
        return
    member = await _local(conn, conf.member_actor_id)
    state = await state_of(conn, conf)
    if actor_url(base_url, member) not in state.members or act.actor in state.members:
        log.info("join_ignored", reason="not ours to answer, or already a member")
        return
    subject, key = rec.read_join(act.raw, conf.id)
    listed = proofs.assertion_methods(
        await store.remote_actor(conn, act.actor) or await remote.fetch_actor(act.actor)
    )
    if subject != act.actor or key not in {k for _id, k in listed}:
        log.info("join_ignored", reason="the Join's key is not one its actor lists")
        return
    if any(
        p.state == "open" and p.subject == subject for p in state.proposals.values()
    ):
        log.info("join_ignored", reason="a proposal about this node is open already")
        return
    invite = rec.invite(
        id=new_activity_id(base_url, member),
        actor=actor_url(base_url, member),
        confederation=conf.id,
        signed_join=act.raw,
        published=now,
    )
    await _publish_record(
        conn,
        base_url=base_url,
        remote=remote,
        conf=conf,
        author=member,
        record=invite,
        also={subject},
        now=now,
    )


async def fetch_history(remote: RemoteActors, decisions_url: str) -> list[Any]:
    """Every item of a replica's `decisions` (charter first), page by page."""
    collection = (await remote.fetch_object(decisions_url)).document
    items: list[Any] = []
    next_url = collection.get("first")
    for _ in range(MAX_PAGES):
        if not isinstance(next_url, str):
            break
        page = (await remote.fetch_object(next_url)).document
        page_items = page.get("orderedItems")
        if isinstance(page_items, list):
            items += page_items
        next_url = page.get("next")
    return items


async def sources(conn: Any, conf: Confederation) -> list[str]:
    """Replicas to catch up from: those we joined through and those that follow us."""
    return list(
        dict.fromkeys([*conf.sources, *await cstore.replica_urls(conn, conf.id)])
    )


async def sync(
    conn: Connection,
    *,
    base_url: str,
    remote: RemoteActors,
    conf: Confederation,
    source: str,
    now: datetime,
) -> int:
    """Fetch `source` replica's decisions, keep the records that check out, apply them;
    returns how many were new."""
    replica_doc = await remote.fetch_actor(source)
    if id_of(replica_doc.get("confederation")) != conf.id or not isinstance(
        replica_doc.get("decisions"), str
    ):
        msg = f"{source} is not a replica of {conf.id}"
        raise ConfederationError(msg)
    history = await fetch_history(remote, replica_doc["decisions"])
    if (
        not history
        or not isinstance(history[0], dict)
        or history[0].get("id") != conf.id
    ):
        msg = f"{source} serves another charter"
        raise ConfederationError(msg)
    fresh = await accept_records(conn, conf, history[1:])
    await cstore.add_sources(conn, conf.id, [source])
    await apply(conn, base_url=base_url, remote=remote, conf=conf)
    await cstore.mark_synced(conn, conf.id, now)
    log.info("confederation_synced", confederation=conf.id, source=source, new=fresh)
    return fresh


async def sync_from_any(
    conn: Connection,
    *,
    base_url: str,
    remote: RemoteActors,
    conf: Confederation,
    candidates: list[str],
    now: datetime,
    report: Callable[[str], None] = lambda _line: None,
) -> int:
    """Sync from the first of `candidates` that answers, each try in a savepoint (a failed
    one leaves nothing); returns how many records were new.

    Raises:
        ConfederationError: no candidate answered (naming why each failed).
    """
    errors = []
    for number, source in enumerate(candidates, 1):
        report(f"[{number}/{len(candidates)}] fetching decisions from {source}")
        try:
            async with conn.transaction():
                fresh = await sync(
                    conn,
                    base_url=base_url,
                    remote=remote,
                    conf=conf,
                    source=source,
                    now=now,
                )
        except (FederationError, ConfederationError) as exc:
            log.info("catch_up_source_failed", source=source, error=str(exc))
            report(f"  unreachable or refused: {exc}")
            errors.append(f"{source}: {exc}")
            continue
        report(f"  {fresh} new record(s)")
        return fresh
    msg = "no replica answered: " + "; ".join(errors)
    raise ConfederationError(msg)


async def catch_up(
    pool: Any,
    *,
    base_url: str,
    remote: RemoteActors,
    clock: Callable[[], datetime],
) -> int:
    """Sync every confederation from the first of its replicas that answers; returns how
    many new records were taken in."""
    fresh = 0
    for conf in await cstore.all_(pool):
        async with pool.acquire() as conn, conn.transaction():
            with contextlib.suppress(ConfederationError):  # logged per source
                fresh += await sync_from_any(
                    conn,
                    base_url=base_url,
                    remote=remote,
                    conf=conf,
                    candidates=await sources(conn, conf),
                    now=clock(),
                )
    return fresh


async def receive_record(conn: Connection, act: IncomingActivity, ctx: Context) -> bool:
    """A record from a member (or applicant) for a confederation we know; False if none.

    The record that admits this node carries no history: a newly admitted node catches up
    at once from the replica it joined through (members admitted meanwhile, votes…)."""
    base_url, remote = ctx.base_url, ctx.remote
    conf_id = rec.confederation_of(act.raw)
    conf = None if conf_id is None else await cstore.get(conn, conf_id, lock=True)
    if conf is None:
        return False
    try:
        rec.check_shape(act.raw, conf.id)
    except FederationError as exc:
        log.info("confederation_record_refused", record=act.id, reason=str(exc))
        return True
    if not await accept_records(conn, conf, [act.raw]):
        return True
    await apply(conn, base_url=base_url, remote=remote, conf=conf)
    if conf.replica_actor_id is None:
        admitted = await cstore.get(conn, conf.id)
        if admitted is not None and admitted.replica_actor_id is not None:
            with contextlib.suppress(ConfederationError):  # the workers try again later
                await sync_from_any(
                    conn,
                    base_url=base_url,
                    remote=remote,
                    conf=admitted,
                    candidates=await sources(conn, admitted),
                    now=datetime.now(UTC),
                )
    return True
