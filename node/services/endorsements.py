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
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog

from federation.delivery.plan import Recipient, recipient_of
from federation.errors import FederationError, SignatureInvalidError
from federation.inbox import IncomingActivity
from federation.origin import same_origin
from federation.proofs import assertion_methods, proof_key_id, read_multikey, verify
from federation.vocab import activities
from federation.vocab.activities import PUBLIC, iso
from federation.vocab.shapes import Tombstone
from node.domain.actors import KIND_TYPES, LocalActor, actor_url
from node.movement import endorsing
from node.movement.incoming import public_movement
from node.services.actors import sign_document
from node.services.context import Context
from node.services.publish import send_activity, store_and_create
from node.services.remote import RemoteActors
from node.storage import actors as actor_store, endorsements as store, objects
from node.storage.db import Connection, Pool

log = structlog.get_logger(__name__)
ENDORSER_KINDS = frozenset({"group", "node", "cluster", "member"})


class EndorsementError(ValueError):
    """An endorsement we do not make; `code` and `status` for the API."""

    def __init__(self, *, code: str, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.code, self.status = code, status


@dataclass(frozen=True, slots=True)
class Target:
    id: str
    kind: str
    title: str
    author: str  # the author's actor URL
    recipient: Recipient | None  # where its author is reached (None: ours)
    fields: dict[str, Any]  # its movement fields, as we read them


async def find_target(
    pool: Pool,
    base_url: str,
    remote: RemoteActors,
    iri: str,
    kinds: frozenset[str] = endorsing.ENDORSABLE,
) -> Target:
    """The live public movement object `iri` of one of `kinds`, ours or read from its
    origin, with its author and where to reach them.

    Raises:
        EndorsementError: not one, not here, or its origin cannot be read.
    """
    wanted = " and ".join(sorted(f"{k}s" for k in kinds))
    local = await objects.live_movement(pool, iri)
    if local is not None:
        if not local["public"] or local["kind"] not in kinds:
            raise EndorsementError(
                code="not_endorsable", message=f"only public {wanted}"
            )
        author = f"{base_url}/actors/{local['author']}"
        fields = dict(local["fields"])
        return Target(iri, local["kind"], fields["title"], author, None, fields)
    if iri.startswith(base_url + "/"):
        raise EndorsementError(code="unknown_object", message="no such object here")
    try:
        document = (await remote.fetch_object(iri)).document
        kept = public_movement(document, iri)
        if isinstance(kept, str):
            raise EndorsementError(code="not_endorsable", message=kept)
        author, received = kept
        if received.kind not in kinds or received.fields is None:
            raise EndorsementError(
                code="not_endorsable", message=f"only public {wanted}"
            )
        recipient = recipient_of(await remote.fetch_actor(author))
    except FederationError as exc:
        raise EndorsementError(
            code="unreachable", message=f"the object could not be read: {exc}"
        ) from None
    fields = received.fields
    return Target(iri, received.kind, fields["title"], author, recipient, fields)


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
        EndorsementError: not a public vision or call, unreadable, or already endorsed.
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
            raise EndorsementError(
                code="already_endorsed",
                message="withdraw the endorsement first to change it",
                status=409,
            )
        await store_and_create(
            conn,
            base_url=base_url,
            actor=actor,
            obj=signed,
            public=True,
            extra_recipients=[found.recipient] if found.recipient else None,
        )
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
        EndorsementError: 404, no endorsement of `target` by `actor`.
    """
    async with pool.acquire() as conn:
        row = await store.own(conn, actor.id, target)
    if row is None:
        raise EndorsementError(
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


@dataclass(frozen=True, slots=True)
class Signed:
    """A received Note that checked out: as signed (its @context back), its author's
    actor document, and our own live public movement object it is about."""

    note: dict[str, Any]
    author: dict[str, Any]
    target: Any  # the objects row


async def checked(
    conn: Connection,
    act: IncomingActivity,
    ctx: Context,
    *,
    author: str,
    target: str,
    kinds: frozenset[str],
    event: str,
) -> Signed | None:
    """The Create's Note, when `author` delivered it from the Note's origin, it is about a
    live public object of ours of one of `kinds`, and its FEP-8b32 proof verifies with a
    key `author` lists; else None (the reason logged as `event`)."""
    embedded = act.raw.get("object")
    assert isinstance(embedded, dict)  # noqa: S101 (the caller read it)
    # an object embedded in its Create travels without its own @context: it is the
    # activity's, and the proof was made over the object with it
    note = {"@context": act.raw.get("@context"), **embedded}
    note_id = note.get("id")
    if (
        author != act.actor
        or not isinstance(note_id, str)
        or not same_origin(note_id, act.actor)
    ):
        log.info(event, reason="not its author's", activity_id=act.id)
        return None
    local = await objects.live_movement(conn, target)
    if local is None or not local["public"] or local["kind"] not in kinds:
        log.info(event, reason="not about a public object of ours", object_id=target)
        return None
    document = await actor_store.remote_actor(conn, act.actor)
    if document is None:
        document = await ctx.remote.fetch_actor(act.actor)
    refused = proof_problem(note, document)
    if refused is not None:
        log.info(event, reason=refused, activity_id=act.id)
        return None
    return Signed(note, document, local)


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


def proof_problem(note: dict[str, Any], author: dict[str, Any]) -> str | None:
    """Why `note`'s FEP-8b32 proof does not hold for `author` (its actor document), or
    None when it verifies with a key `author` lists under `assertionMethod`."""
    try:
        key = dict(assertion_methods(author)).get(proof_key_id(note))
        if key is None:
            return "the proof's key is not one its author lists"
        verify(note, read_multikey(key))
    except (SignatureInvalidError, ValueError) as exc:
        return str(exc)
    return None


async def receive_delete(conn: Connection, act: IncomingActivity) -> None:
    """A Delete of an endorsement Note by its author withdraws it."""
    if act.object_id is not None and await store.remove(conn, act.object_id, act.actor):
        log.info("endorsement_withdrawn", endorser=act.actor, note=act.object_id)
