"""The node's assembly: its groups, one vote each, adopt a vision version as the node's
shared vision. The same records (`Add` to propose, `Accept`/`Reject` to vote), proofs
(each record signed with FEP-8b32 by the group that wrote it), fold and quorum (a majority
of the groups there were when it was proposed) as a confederation's, so anyone can check
the outcome from the records and the groups' published keys (`/assembly/decisions`). A group's vote in a confederation whose groups vote on adoptions
goes through here too (vote_in_confederation).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog

from node.confederation import records as rec
from node.confederation.adoption import adopted_view, version_title
from node.confederation.authoring import group_vote, open_proposal
from node.confederation.governance import ConfederationError
from node.confederation.membership import State, fold_among
from node.confederation.records import Charter
from node.domain.actors import LocalActor, actor_url
from node.services.actors import sign_document
from node.services.follow import new_activity_id
from node.services.remote import RemoteActors
from node.storage import (
    actors as actor_store,
    assembly as store,
    confederations as cstore,
)
from node.storage.db import Connection, Pool

log = structlog.get_logger(__name__)


def assembly_id(base_url: str) -> str:
    return f"{base_url}/assembly"


@dataclass(frozen=True, slots=True)
class Assembly:
    charter: Charter
    members: dict[str, str]  # group URL -> Multikey


async def _assembly(conn: Pool | Connection, base_url: str) -> Assembly:
    groups = await actor_store.local_by_kind(conn, "group")
    members = {actor_url(base_url, g): g.proof_public for g in groups if g.proof_public}
    nodes = await actor_store.local_by_kind(conn, "node")
    founder = actor_url(base_url, nodes[0]) if nodes else assembly_id(base_url)
    charter = Charter(
        id=assembly_id(base_url),
        name="assembly",
        title="the node's assembly",
        summary="",
        place="",
        scope="assembly",
        membership="vote",
        quorum="majority",
        kinds=(),
        clusters=(),
        founder=founder,
        founder_key=(nodes[0].proof_public or "") if nodes else "",
        document={},
    )
    return Assembly(charter, {k: v for k, v in members.items() if v})


async def state(conn: Pool | Connection, base_url: str) -> State:
    found = await _assembly(conn, base_url)
    return fold_among(found.charter, found.members, await store.records(conn))


async def _write(
    pool: Pool,
    *,
    base_url: str,
    group: LocalActor,
    record: dict[str, Any],
    now: datetime,
) -> State:
    signed = await sign_document(
        pool, base_url=base_url, actor=group, document=record, now=now
    )
    async with pool.acquire() as conn, conn.transaction():
        await store.lock(conn)
        found = await _assembly(conn, base_url)
        folded = fold_among(
            found.charter, found.members, [*await store.records(conn), signed]
        )
        if signed["id"] in folded.refused:
            raise ConfederationError(folded.refused[signed["id"]])
        await store.add(conn, record=signed, actor=record["actor"], published=now)
    return folded


async def propose(
    pool: Pool,
    *,
    base_url: str,
    remote: RemoteActors,
    group: LocalActor,
    version: str,
    now: datetime,
) -> State:
    """`group` proposes the vision version `version` as the node's shared vision.

    Raises:
        ConfederationError: not a group of this node, or not a vision version.
    """
    if group.kind != "group":
        msg = "only the node's groups sit in its assembly"
        raise ConfederationError(msg)
    async with pool.acquire() as conn:
        title = await version_title(conn, base_url, remote, version)
    me = actor_url(base_url, group)
    record = rec.adopt(
        id=new_activity_id(base_url, group),
        actor=me,
        confederation=assembly_id(base_url),
        version=version,
        title=title,
        published=now,
    )
    done = await _write(pool, base_url=base_url, group=group, record=record, now=now)
    log.info("assembly_proposal", group=group.name, version=version)
    return done


async def vote(
    pool: Pool,
    *,
    base_url: str,
    group: LocalActor,
    proposal: str,
    yes: bool,
    now: datetime,
) -> State:
    """`group` votes on an open proposal of the assembly.

    Raises:
        ConfederationError: no such open proposal, or the group may not vote on it.
    """
    found = open_proposal(await state(pool, base_url), proposal)
    record = rec.vote(
        id=new_activity_id(base_url, group),
        actor=actor_url(base_url, group),
        confederation=assembly_id(base_url),
        proposal=found.id,
        yes=yes,
        published=now,
    )
    done = await _write(pool, base_url=base_url, group=group, record=record, now=now)
    log.info("assembly_vote", group=group.name, proposal=found.id, yes=yes)
    return done


async def vote_in_confederation(
    pool: Pool,
    *,
    base_url: str,
    remote: RemoteActors,
    name: str,
    group: LocalActor,
    proposal: str,
    yes: bool,
    now: datetime,
) -> State | None:
    """`group` votes in the confederation `name` on a proposal to adopt, where its charter
    has the member nodes' groups vote (authoring.group_vote); None: no such confederation.

    Raises:
        ConfederationError: not a group, no such open proposal, or not in its electorate.
    """
    async with pool.acquire() as conn, conn.transaction():
        named = await cstore.by_name(conn, name)
        conf = None if named is None else await cstore.get(conn, named.id, lock=True)
        if conf is None:
            return None
        return await group_vote(
            conn,
            base_url=base_url,
            remote=remote,
            conf=conf,
            group=group,
            proposal=proposal,
            yes=yes,
            now=now,
        )


async def shared_vision(
    conn: Pool | Connection, base_url: str
) -> dict[str, Any] | None:
    """What the assembly adopted last, who voted for it, and what it superseded (the
    confederation's adopted_view), its records read once."""
    records = await store.records(conn)
    found = await _assembly(conn, base_url)
    return adopted_view(fold_among(found.charter, found.members, records), records)
