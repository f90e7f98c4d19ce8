"""What endorsements, amendments and plan items share: they are signed Notes about a public
movement object (a vision or a call, ours or another node's). Finding that object, with its
author and where to reach them; checking one that arrives (delivered by its own author from
the Note's origin, about a live public object of ours, with an FEP-8b32 proof by a key the
author lists); and the one error type their APIs answer with.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import structlog

from federation.delivery.plan import Recipient, recipient_of
from federation.errors import FederationError, SignatureInvalidError
from federation.inbox import IncomingActivity
from federation.origin import same_origin
from federation.proofs import assertion_methods, proof_key_id, read_multikey, verify
from node.domain.actors import LocalActor
from node.movement import endorsing
from node.movement.incoming import public_movement
from node.services.context import Context
from node.services.publish import store_and_create
from node.services.remote import RemoteActors
from node.storage import actors as actor_store, objects
from node.storage.db import Connection, Pool

log = structlog.get_logger(__name__)


class NoteError(ValueError):
    """A signed Note we do not make (or an answer to one we refuse); `code` and `status`
    for the API."""

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

    @property
    def recipients(self) -> list[Recipient]:
        """Whom a Note about it goes to besides our followers: its author, if elsewhere."""
        return [self.recipient] if self.recipient else []


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
        NoteError: not one, not here, or its origin cannot be read.
    """
    wanted = " and ".join(sorted(f"{k}s" for k in kinds))
    local = await objects.live_movement(pool, iri)
    if local is not None:
        if not local["public"] or local["kind"] not in kinds:
            raise NoteError(code="not_endorsable", message=f"only public {wanted}")
        author = f"{base_url}/actors/{local['author']}"
        fields = dict(local["fields"])
        return Target(iri, local["kind"], fields["title"], author, None, fields)
    if iri.startswith(base_url + "/"):
        raise NoteError(code="unknown_object", message="no such object here")
    try:
        document = (await remote.fetch_object(iri)).document
        kept = public_movement(document, iri)
        if isinstance(kept, str):
            raise NoteError(code="not_endorsable", message=kept)
        author, received = kept
        if received.kind not in kinds or received.fields is None:
            raise NoteError(code="not_endorsable", message=f"only public {wanted}")
        recipient = recipient_of(await remote.fetch_actor(author))
    except FederationError as exc:
        raise NoteError(
            code="unreachable", message=f"the object could not be read: {exc}"
        ) from None
    fields = received.fields
    return Target(iri, received.kind, fields["title"], author, recipient, fields)


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


async def publish(
    conn: Connection,
    *,
    base_url: str,
    actor: LocalActor,
    note: dict[str, Any],
    target: Target,
) -> None:
    """Store `actor`'s signed Note about `target` and send its Create to the actor's
    followers and to the target's author, inside the caller's transaction."""
    await store_and_create(
        conn,
        base_url=base_url,
        actor=actor,
        obj=note,
        public=True,
        extra_recipients=target.recipients,
    )
