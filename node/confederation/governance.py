"""Confederations among peer nodes: found one, ask to join, propose, vote, leave; receive
records; fold them into the member list and keep this node's replica and mesh in step.

Nothing here is owned by one node: every record is signed by its author (FEP-8b32), stored
by every replica, and membership is the same pure fold everywhere (`confederation.membership`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import structlog

from federation.vocab.read import id_of
from node.clock import utcnow
from node.confederation import backfill, cluster_actors, mesh, records as rec, voters
from node.confederation.membership import State, fold
from node.confederation.mesh import recipients
from node.domain.actors import LocalActor, actor_url
from node.services.actors import ActorExistsError, create_actor, sign_document
from node.services.follow import new_activity_id
from node.services.publish import enqueue
from node.services.remote import RemoteActors
from node.storage import actors as store, confederations as cstore
from node.storage.confederations import Confederation
from node.storage.db import Connection

log = structlog.get_logger(__name__)


class ConfederationError(Exception):
    """A confederation command that cannot be done (shown to the operator as is)."""


async def _local(conn: Any, local_actor_id: int) -> LocalActor:
    found = await store.local_by_id(conn, local_actor_id)
    if found is None:
        msg = f"local actor {local_actor_id} is gone"
        raise ConfederationError(msg)
    return found


async def member_identity(conn: Any, name: str | None, node_name: str) -> LocalActor:
    """Who this node is in a confederation: its node actor, or (nesting) a local replica."""
    actor = await store.local_by_name(conn, name or node_name)
    if actor is None or actor.kind not in ("node", "confederation"):
        msg = f"{name!r} is neither the node nor a confederation replica"
        raise ConfederationError(msg)
    return actor


async def found(
    conn: Connection,
    *,
    base_url: str,
    remote: RemoteActors,
    fields: dict[str, Any],
    member: LocalActor,
    now: datetime,
) -> tuple[Confederation, LocalActor]:
    """Create the charter (signed by `member`, the founder) and the first replica."""
    errors = rec.check_fields(fields)
    if errors:
        msg = "invalid charter: " + "; ".join(f"{e.field} {e.message}" for e in errors)
        raise ConfederationError(msg)
    try:
        replica = await create_actor(
            conn,
            kind="confederation",
            name=fields["name"],
            display_name=fields["title"],
            summary=fields.get("summary", ""),
        )
    except ActorExistsError as exc:
        raise ConfederationError(str(exc)) from None
    if member.proof_public is None:
        msg = f"{member.name} has no proof key yet; start the node once"
        raise ConfederationError(msg)
    charter = rec.charter_document(
        fields,
        charter_id=f"{actor_url(base_url, replica)}/charter",
        founder=actor_url(base_url, member),
        founder_key=member.proof_public,
        published=now,
    )
    signed = await sign_document(
        conn, base_url=base_url, actor=member, document=charter, now=now
    )
    await cstore.insert(
        conn,
        id=signed["id"],
        charter=signed,
        member_actor_id=member.id,
        replica_actor_id=replica.id,
        sources=[],
    )
    await cstore.set_members(conn, signed["id"], {actor_url(base_url, member)})
    conf = Confederation(signed["id"], signed, member.id, replica.id, [], None)
    await cluster_actors.for_new_replica(conn, conf.id, conf.charter, replica)
    log.info("confederation_founded", confederation=conf.id, replica=replica.name)
    await backfill.admitted(
        conn, base_url=base_url, member=member, confederation=conf.id, now=now
    )
    await apply(conn, base_url=base_url, remote=remote, conf=conf)  # names its groups
    return conf, replica


async def state_of(conn: Any, conf: Confederation) -> State:
    return fold(rec.read_charter(conf.charter), await cstore.records(conn, conf.id))


async def describe(
    conn: Any, base_url: str, conf: Confederation, state: State | None = None
) -> dict[str, Any]:
    """A confederation as the CLI and the API show it: charter, replica, members, proposals."""
    state = state or await state_of(conn, conf)
    replica = (
        None
        if conf.replica_actor_id is None
        else await store.local_by_id(conn, conf.replica_actor_id)
    )
    charter = state.charter
    return {
        "id": conf.id,
        "name": charter.name,
        "title": charter.title,
        "summary": charter.summary,
        "place": charter.place,
        "scope": charter.scope,
        "membership": charter.membership,
        "quorum": charter.quorum,
        "voters": charter.voters,  # who votes on adoptions
        "groups": {m: sorted(g) for m, g in sorted(state.groups.items())},
        "relays": {"kinds": list(charter.kinds), "clusters": list(charter.clusters)},
        "replica": None if replica is None else actor_url(base_url, replica),
        "cluster_actors": await cluster_actors.urls(conn, base_url, conf.id),
        "members": sorted(state.members),
        "proposals": [p.as_json() for p in state.proposals.values()],
        "adopted": [p.subject for p in state.adopted],  # the last is the shared vision
    }


async def describe_all(conn: Any, base_url: str) -> list[dict[str, Any]]:
    """describe() of every confederation this node takes part in (or asked to join)."""
    return [await describe(conn, base_url, conf) for conf in await cstore.all_(conn)]


async def _publish_record(
    conn: Connection,
    *,
    base_url: str,
    remote: RemoteActors,
    conf: Confederation,
    author: LocalActor,
    record: dict[str, Any],
    also: set[str],
    now: datetime,
) -> State:
    """Sign, store and send a record to every member and `also`; apply what it changes."""
    signed = await sign_document(
        conn, base_url=base_url, actor=author, document=record, now=now
    )
    await cstore.add_record(
        conn,
        confederation=conf.id,
        record=signed,
        actor=actor_url(base_url, author),
        published=rec.published_at(signed),
    )
    state = await apply(conn, base_url=base_url, remote=remote, conf=conf)
    audience = state.members | also
    await enqueue(
        conn,
        base_url=base_url,
        signer=author,
        activity=signed,
        to=await recipients(conn, remote, base_url, audience),
    )
    return state


async def apply(
    conn: Connection, *, base_url: str, remote: RemoteActors, conf: Confederation
) -> State:
    """Fold the records, store the members; once admitted, make the replica; keep the mesh."""
    state = await state_of(conn, conf)
    added, removed = await cstore.set_members(conn, conf.id, state.members)
    member = await _local(conn, conf.member_actor_id)
    me = actor_url(base_url, member)
    replica_id = conf.replica_actor_id
    if me in state.members and replica_id is None:
        replica = await _make_replica(conn, state)
        await cstore.set_replica(conn, conf.id, replica.id)
        await cluster_actors.for_new_replica(conn, conf.id, conf.charter, replica)
        replica_id, added = replica.id, set(state.members)
        log.info("confederation_admitted", confederation=conf.id, replica=replica.name)
        await backfill.admitted(
            conn, base_url=base_url, member=member, confederation=conf.id, now=utcnow()
        )
    if replica_id is not None:
        replica = await _local(conn, replica_id)
        for uri in sorted(added - {me}):
            await mesh.follow(conn, base_url, remote, replica, uri)
        for uri in sorted(removed):
            await mesh.unfollow(conn, base_url, remote, replica, uri)
    if added or removed:
        log.info(
            "confederation_members_changed",
            confederation=conf.id,
            added=sorted(added),
            removed=sorted(removed),
        )
    return await _name_groups(conn, base_url, remote, conf, member, state)


async def _name_groups(
    conn: Connection,
    base_url: str,
    remote: RemoteActors,
    conf: Confederation,
    member: LocalActor,
    state: State,
) -> State:
    """Under a charter whose groups vote on adoptions, a member node names its groups and
    their keys (an `Update` record) once admitted and whenever they change."""
    me = actor_url(base_url, member)
    if (
        state.charter.voters != "groups"
        or member.kind != "node"  # a replica member (nesting) has no groups of its own
        or me not in state.members
    ):
        return state
    groups = {
        actor_url(base_url, g): g.proof_public
        for g in await store.local_by_kind(conn, "group")
        if g.proof_public
    }
    if state.groups.get(me, {}) == groups:
        return state
    now = utcnow()
    record = voters.introduce_groups(
        id=new_activity_id(base_url, member),
        actor=me,
        confederation=conf.id,
        groups=groups,
        published=now,
    )
    log.info("confederation_groups_named", confederation=conf.id, groups=len(groups))
    return await _publish_record(
        conn,
        base_url=base_url,
        remote=remote,
        conf=conf,
        author=member,
        record=record,
        also=set(),
        now=now,
    )


async def groups_changed(conn: Connection, base_url: str, remote: RemoteActors) -> None:
    """A group was created here: name it in every confederation whose groups vote."""
    for conf in await cstore.all_(conn):
        locked = await cstore.get(conn, conf.id, lock=True)
        if locked is not None:
            await apply(conn, base_url=base_url, remote=remote, conf=locked)


async def _make_replica(conn: Connection, state: State) -> LocalActor:
    charter = state.charter
    for suffix in ("", *(f"-{n}" for n in range(2, 10))):
        try:
            return await create_actor(
                conn,
                kind="confederation",
                name=charter.name + suffix,
                display_name=charter.title,
                summary=charter.summary,
            )
        except ActorExistsError:
            continue
    msg = f"no free name for a replica of {charter.name}"
    raise ConfederationError(msg)


async def accept_records(
    conn: Connection, conf: Confederation, candidates: list[Any]
) -> int:
    """Store the records among `candidates` that the fold does not refuse; returns how many
    were new. A forged or replayed record is dropped here and changes nothing."""
    known = await cstore.records(conn, conf.id)
    known_ids = {r["id"] for r in known}
    fresh = [
        r
        for r in candidates
        if isinstance(r, dict)
        and isinstance(r.get("id"), str)
        and r["id"] not in known_ids
    ]
    if not fresh:
        return 0
    state = fold(rec.read_charter(conf.charter), [*known, *fresh])
    stored = 0
    for record in fresh:
        if record["id"] in state.refused:
            log.info(
                "confederation_record_refused",
                record=record["id"],
                reason=state.refused[record["id"]],
            )
            continue
        stored += await cstore.add_record(
            conn,
            confederation=conf.id,
            record=record,
            actor=str(id_of(record.get("actor"))),
            published=rec.published_at(record),
        )
    return stored
