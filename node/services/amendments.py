"""Amendments: a group proposes a change to another group's vision (ours or another
node's); the vision's author accepts it — the vision gets a new version, the earlier one
stays readable — or declines it, and the proposer hears which.

A proposal is a signed Note (FEP-8b32) like an endorsement, and is kept by the author's
node on the same conditions (from its own author, about a live public vision of ours, a
proof that verifies); the proposed fields must make a valid vision with the rest of it. Only
the vision's author decides; its `Accept` or `Reject` of the Note is believed only from
that author.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import structlog

from federation.delivery.plan import Recipient, recipient_of
from federation.errors import FederationError
from federation.inbox import IncomingActivity
from federation.vocab import activities
from federation.vocab.read import id_of
from node.domain.actors import LocalActor, actor_url
from node.movement import amending
from node.movement.schemas import validate
from node.services import movement
from node.services.actors import sign_document
from node.services.context import Context
from node.services.publish import enqueue
from node.services.remote import RemoteActors
from node.services.signed_notes import NoteError, checked, find_target, publish
from node.storage import amendments as store, objects
from node.storage.db import Connection, Pool

log = structlog.get_logger(__name__)
VISIONS = frozenset({"vision"})


def _invalid(fields: dict[str, Any], changes: dict[str, Any]) -> list[str]:
    return [f"{e.field}: {e.message}" for e in validate("vision", fields | changes)]


async def propose(
    pool: Pool,
    *,
    base_url: str,
    remote: RemoteActors,
    actor: LocalActor,
    target: str,
    changes: dict[str, Any],
    statement: str,
    now: datetime,
) -> dict[str, Any]:
    """`actor` proposes `changes` to the vision `target`; returns the signed Note.

    Raises:
        NoteError: not a public vision, its own, or changes that make no vision.
    """
    found = await find_target(pool, base_url, remote, target, VISIONS)
    me = actor_url(base_url, actor)
    if found.author == me:
        raise NoteError(
            code="own_vision", message="edit your own vision instead of amending it"
        )
    problems = _invalid(found.fields, changes)
    if problems:
        raise NoteError(code="invalid_amendment", message="; ".join(problems))
    note = amending.build(
        amendment_id=f"{me}/objects/{uuid.uuid4()}",
        actor=me,
        actor_name=actor.display_name or actor.name,
        followers=f"{me}/followers",
        target=found.id,
        target_title=found.title,
        target_author=found.author,
        changes=changes,
        statement=statement,
        published=now,
    )
    signed = await sign_document(
        pool, base_url=base_url, actor=actor, document=note, now=now
    )
    async with pool.acquire() as conn, conn.transaction():
        await publish(conn, base_url=base_url, actor=actor, note=signed, target=found)
        await store.insert(
            conn,
            amendment_id=signed["id"],
            object_id=found.id,
            proposer=me,
            author=found.author,
            changes=changes,
            statement=statement,
            document=signed,
            local_actor_id=actor.id,
        )
    log.info("amendment_proposed", proposer=actor.name, object_id=found.id)
    return signed


async def decide(
    pool: Pool,
    *,
    base_url: str,
    remote: RemoteActors,
    actor: LocalActor,
    amendment_id: str,
    accept: bool,
    now: datetime,
) -> str:
    """The vision's author accepts (a new version) or declines an open amendment; the
    proposer is told. Returns the new state.

    Raises:
        NoteError: 404 for an amendment that is not open or not to `actor`'s vision.
    """
    row = await store.get(pool, amendment_id)
    me = actor_url(base_url, actor)
    if row is None or row["author"] != me or row["state"] != "open":
        raise NoteError(
            code="not_found", message="no open amendment to your vision", status=404
        )
    if accept:
        current = await objects.live_movement(pool, row["object_id"])
        if current is None:
            raise NoteError(code="not_found", message="the vision is gone", status=404)
        try:
            await movement.update_object(
                pool,
                base_url=base_url,
                actor=actor,
                object_id=row["object_id"],
                data=dict(current["fields"]) | dict(row["changes"]),
                now=now,
            )
        except movement.InvalidInputError as exc:  # the vision changed since
            raise NoteError(code="invalid_amendment", message=str(exc)) from None
        except movement.ObjectNotFoundError:
            raise NoteError(
                code="not_found", message="the vision is gone", status=404
            ) from None
    recipient = await _proposer(remote, base_url, row["proposer"])
    state = "accepted" if accept else "declined"
    build = activities.accept if accept else activities.reject
    async with pool.acquire() as conn, conn.transaction():
        if not await store.settle(conn, amendment_id, state, now):
            raise NoteError(code="not_found", message="already decided", status=404)
        if recipient is not None:
            answer = build(
                id=f"{me}/activities/{uuid.uuid4()}",
                actor=me,
                follow_activity=dict(row["document"]),
            )
            await enqueue(
                conn, base_url=base_url, signer=actor, activity=answer, to=[recipient]
            )
    log.info("amendment_decided", amendment=amendment_id, state=state)
    return state


async def _proposer(
    remote: RemoteActors, base_url: str, proposer: str
) -> Recipient | None:
    """Where to tell the proposer (None when it is ours: its row is the one we settle)."""
    if proposer.startswith(base_url + "/"):
        return None
    try:
        return recipient_of(await remote.fetch_actor(proposer))
    except FederationError:
        return None


async def receive(conn: Connection, act: IncomingActivity, ctx: Context) -> bool:
    """An incoming Create of an amendment Note; True when it was one (kept or not)."""
    parsed = amending.read(act.raw.get("object"))
    if parsed is None:
        return False
    proposer, target, changes, statement = parsed
    found = await checked(
        conn,
        act,
        ctx,
        author=proposer,
        target=target,
        kinds=VISIONS,
        event="amendment_refused",
    )
    if found is None:
        return True
    problems = _invalid(dict(found.target["fields"]), changes)
    if problems:
        log.info("amendment_refused", reason="; ".join(problems), activity_id=act.id)
        return True
    await store.insert(
        conn,
        amendment_id=found.note["id"],
        object_id=target,
        proposer=proposer,
        author=f"{ctx.base_url}/actors/{found.target['author']}",
        changes=changes,
        statement=statement,
        document=found.note,
        local_actor_id=None,
    )
    log.info("amendment_received", proposer=proposer, object_id=target)
    return True


async def receive_decision(
    conn: Connection, act: IncomingActivity, ctx: Context
) -> bool:
    """An Accept or Reject of an amendment one of ours proposed, from the vision's author
    alone; True when it was about one of ours."""
    row = await store.get(conn, id_of(act.raw.get("object")) or "")
    if row is None or row["local_actor_id"] is None:
        return False
    if act.actor != row["author"]:
        log.info("amendment_decision_refused", reason="not the author", actor=act.actor)
        return True
    state = "accepted" if act.type == "Accept" else "declined"
    if await store.settle(conn, row["id"], state, ctx.now()):
        log.info("amendment_settled", amendment=row["id"], state=state)
    return True
