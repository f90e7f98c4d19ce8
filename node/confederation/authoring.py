"""The records this node writes in a confederation beside proposals to adopt: its votes
(or, where groups vote on adoptions, one of its groups'), a proposal to remove a member,
leaving. Each is signed by its author, stored and sent to every member
(governance._publish_record), and folded like any other."""

from __future__ import annotations

from datetime import datetime

from node.confederation import records as rec
from node.confederation.governance import (
    ConfederationError,
    _local,
    _publish_record,
    state_of,
)
from node.confederation.membership import Proposal, State, find_proposal
from node.domain.actors import LocalActor, actor_url
from node.services.follow import new_activity_id
from node.services.remote import RemoteActors
from node.storage.confederations import Confederation
from node.storage.db import Connection


def open_proposal(state: State, ref: str) -> Proposal:
    """The open proposal `ref` names (find_proposal).

    Raises:
        ConfederationError: none, or it is decided already.
    """
    found = find_proposal(state, ref)
    if found is None or found.state != "open":
        msg = f"no open proposal {ref}"
        raise ConfederationError(msg)
    return found


async def vote_as(
    conn: Connection,
    *,
    base_url: str,
    remote: RemoteActors,
    conf: Confederation,
    voter: LocalActor,
    proposal: str,
    yes: bool,
    now: datetime,
) -> State:
    """`voter` (this node, or where groups vote on adoptions one of its groups) votes on
    an open proposal: its record, signed with its key, sent to every member and to the
    node a proposal to admit or remove is about.

    Raises:
        ConfederationError: no such open proposal, or not in its electorate, or voted.
    """
    found = open_proposal(await state_of(conn, conf), proposal)
    me = actor_url(base_url, voter)
    if me not in found.electorate or me in found.yes | found.no:
        who = "this node" if voter.id == conf.member_actor_id else voter.name
        msg = f"{who} cannot vote on it (not in its electorate, or voted already)"
        raise ConfederationError(msg)
    record = rec.vote(
        id=new_activity_id(base_url, voter),
        actor=me,
        confederation=conf.id,
        proposal=found.id,
        yes=yes,
        published=now,
    )
    return await _publish_record(
        conn,
        base_url=base_url,
        remote=remote,
        conf=conf,
        author=voter,
        record=record,
        # a version to adopt is no actor to send to
        also=set() if found.action == "adopt" else {found.subject},
        now=now,
    )


async def author_record(
    conn: Connection,
    *,
    base_url: str,
    remote: RemoteActors,
    conf: Confederation,
    action: str,
    target: str | None,
    now: datetime,
) -> State:
    """This node's own record: a vote (`yes`/`no` on proposal `target`), a proposal to
    `remove` member `target`, or `leave`."""
    member = await _local(conn, conf.member_actor_id)
    if action in ("yes", "no"):
        return await vote_as(
            conn,
            base_url=base_url,
            remote=remote,
            conf=conf,
            voter=member,
            proposal=str(target),
            yes=action == "yes",
            now=now,
        )
    me = actor_url(base_url, member)
    state = await state_of(conn, conf)
    new_id = new_activity_id(base_url, member)
    also: set[str] = set()
    if action == "remove":
        if target not in state.members or me not in state.members:
            msg = f"{target} is not a member (or this node is not)"
            raise ConfederationError(msg)
        also = {str(target)}
        record = rec.remove(
            id=new_id,
            actor=me,
            confederation=conf.id,
            member=str(target),
            published=now,
        )
    else:
        if me not in state.members:
            msg = "this node is not a member"
            raise ConfederationError(msg)
        record = rec.leave(id=new_id, actor=me, confederation=conf.id, published=now)
    return await _publish_record(
        conn,
        base_url=base_url,
        remote=remote,
        conf=conf,
        author=member,
        record=record,
        also=also,
        now=now,
    )


async def group_vote(
    conn: Connection,
    *,
    base_url: str,
    remote: RemoteActors,
    conf: Confederation,
    group: LocalActor,
    proposal: str,
    yes: bool,
    now: datetime,
) -> State:
    """A group of this node votes on a proposal to adopt, under a charter whose groups
    vote: its own record, signed with its own key, sent to every member.

    Raises:
        ConfederationError: not a group, no such open proposal, or not in its electorate.
    """
    if group.kind != "group":
        msg = "only a group votes as a group"
        raise ConfederationError(msg)
    return await vote_as(
        conn,
        base_url=base_url,
        remote=remote,
        conf=conf,
        voter=group,
        proposal=proposal,
        yes=yes,
        now=now,
    )
