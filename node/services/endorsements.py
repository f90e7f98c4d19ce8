"""Endorsements: a local actor signs under a vision or a call (ours or another node's), or
takes its signature back; and the signatures other nodes' actors send us for our own.

What we send is a public Note with an FEP-8b32 proof by the endorser's Ed25519 key, to
its followers and to the object's author. What we receive counts only when it is about a
live public vision or call of ours, comes from its own author (the Note's `attributedTo`
is the signer of the delivery, on the Note's origin) and its proof verifies against a key
that author's actor document lists under `assertionMethod`; anything else changes nothing.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import structlog

from federation.delivery.plan import recipient_of
from federation.errors import FederationError
from federation.inbox import IncomingActivity
from federation.vocab import activities
from federation.vocab.activities import PUBLIC, iso
from federation.vocab.shapes import Tombstone
from node.domain.actors import KIND_TYPES, LocalActor, actor_url
from node.movement import endorsing
from node.services.actors import sign_document
from node.services.context import Context
from node.services.publish import send_activity
from node.services.remote import RemoteActors
from node.services.signed_notes import NoteError, checked, find_target, publish
from node.storage import endorsements as store, objects
from node.storage.db import Connection, Pool

log = structlog.get_logger(__name__)
ENDORSER_KINDS = frozenset({"group", "node", "cluster", "member"})


async def endorse(
    pool: Pool,
    *,
    base_url: str,
    remote: RemoteActors,
    actor: LocalActor,
    target: str,
    statement: str,
    now: datetime,
) -> dict[str, Any]:
    """`actor` endorses `target`: its signed Note is stored, sent to its followers and the
    object's author; returns the Note.

    Raises:
        NoteError: not a public vision or call, unreadable, or already endorsed.
    """
    found = await find_target(pool, base_url, remote, target)
    me = actor_url(base_url, actor)
    note = endorsing.build(
        endorsement_id=f"{me}/objects/{uuid.uuid4()}",
        actor=me,
        actor_name=actor.display_name or actor.name,
        followers=f"{me}/followers",
        target=found.id,
        target_title=found.title,
        target_kind=found.kind,
        target_author=found.author,
        statement=statement,
        published=now,
    )
    signed = await sign_document(
        pool, base_url=base_url, actor=actor, document=note, now=now
    )
    async with pool.acquire() as conn, conn.transaction():
        if await store.own(conn, actor.id, found.id) is not None:
            raise NoteError(
                code="already_endorsed",
                message="withdraw the endorsement first to change it",
                status=409,
            )
        await publish(conn, base_url=base_url, actor=actor, note=signed, target=found)
        await store.upsert(
            conn,
            endorsement_id=signed["id"],
            object_id=found.id,
            endorser=me,
            signature=KIND_TYPES[actor.kind] in endorsing.SIGNATORY_TYPES,
            statement=statement,
            document=signed,
            local_actor_id=actor.id,
        )
    log.info("endorsed", endorser=actor.name, object_id=found.id)
    return signed


async def withdraw(
    pool: Pool,
    *,
    base_url: str,
    remote: RemoteActors,
    actor: LocalActor,
    target: str,
    now: datetime,
) -> None:
    """`actor` takes its endorsement of `target` back: a Tombstone and a Delete to its
    followers and the object's author.

    Raises:
        NoteError: 404, no endorsement of `target` by `actor`.
    """
    async with pool.acquire() as conn:
        row = await store.own(conn, actor.id, target)
    if row is None:
        raise NoteError(
            code="not_found", message="no endorsement of that object", status=404
        )
    author = row["document"]["cc"][-1]
    extra = None
    if not author.startswith(base_url + "/"):
        try:
            extra = [recipient_of(await remote.fetch_actor(author))]
        except FederationError:
            extra = None  # its followers still hear of it; its author, at the next try
    me = actor_url(base_url, actor)
    tombstone: Tombstone = {"id": row["id"], "type": "Tombstone", "deleted": iso(now)}
    async with pool.acquire() as conn, conn.transaction():
        await objects.tombstone(conn, row["id"], tombstone, now)
        await store.remove(conn, row["id"], me)
        await send_activity(
            conn,
            base_url=base_url,
            actor=actor,
            activity=activities.delete(
                id=f"{row['id']}#delete",
                actor=me,
                tombstone=tombstone,
                to=[PUBLIC],
                cc=[f"{me}/followers", author],
            ),
            public=True,
            followers_of=[actor.id],
            extra_recipients=extra,
        )
    log.info("endorsement_withdrawn", endorser=actor.name, object_id=target)


async def receive(conn: Connection, act: IncomingActivity, ctx: Context) -> bool:
    """An incoming Create of an endorsement Note: kept when it checks out (see the module);
    True when it was one (kept or not), so nothing else reads it."""
    parsed = endorsing.read(act.raw.get("object"))
    if parsed is None:
        return False
    endorser, target, statement = parsed
    found = await checked(
        conn,
        act,
        ctx,
        author=endorser,
        target=target,
        kinds=endorsing.ENDORSABLE,
        event="endorsement_refused",
    )
    if found is None:
        return True
    await store.upsert(
        conn,
        endorsement_id=found.note["id"],
        object_id=target,
        endorser=endorser,
        signature=found.author.get("type") in endorsing.SIGNATORY_TYPES,
        statement=statement,
        document=found.note,
        local_actor_id=None,
    )
    log.info("endorsement_received", endorser=endorser, object_id=target)
    return True


async def receive_delete(conn: Connection, act: IncomingActivity) -> None:
    """A Delete of an endorsement Note by its author withdraws it."""
    if act.object_id is not None and await store.remove(conn, act.object_id, act.actor):
        log.info("endorsement_withdrawn", endorser=act.actor, note=act.object_id)
