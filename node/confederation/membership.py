"""Membership as a pure fold over a confederation's records.

Every replica folds the same records the same way, so all converge on the same members
whatever order the records arrived in. Records are taken in (published, id) order; a vote
seen before its proposal (clocks differ between nodes) waits for it. Keys come from the
chain itself: the founder's from the charter, each member's from the signed Join its
admission carried, so a newcomer can check the whole history even when the nodes that
wrote it are gone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from federation.errors import FederationError
from federation.vocab.read import id_of
from node.confederation.records import (
    Charter,
    RecordError,
    check_shape,
    published_at,
    read_join,
    verify_record,
)
from node.confederation.voters import read_groups


def needed(quorum: str, electorate: int) -> int:
    """Yes votes that carry a proposal among `electorate` members."""
    if quorum == "unanimous":
        return electorate
    if quorum == "two-thirds":
        return -(-2 * electorate // 3)
    return electorate // 2 + 1


@dataclass(slots=True)
class Proposal:
    id: str
    action: str  # admit | remove | adopt
    subject: str
    proposer: str
    electorate: frozenset[str]
    subject_key: str | None = None
    yes: set[str] = field(default_factory=set)
    no: set[str] = field(default_factory=set)
    state: str = "open"  # open | passed | failed

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "short_id": short_id(self.id),
            "action": self.action,
            "subject": self.subject,
            "proposer": self.proposer,
            "state": self.state,
            "yes": sorted(self.yes),
            "no": sorted(self.no),
            "electorate": sorted(self.electorate),
        }


@dataclass(slots=True)
class State:
    charter: Charter
    members: set[str]
    keys: dict[str, str]  # actor -> Multikey, for every actor the chain introduced
    proposals: dict[str, Proposal] = field(default_factory=dict)
    applied: list[str] = field(
        default_factory=list
    )  # record ids that changed something
    refused: dict[str, str] = field(default_factory=dict)  # record id -> why
    # the vision versions adopted, in order: the last is the shared vision, the earlier
    # ones are superseded; each with the proposal that adopted it
    adopted: list[Proposal] = field(default_factory=list)
    # each member node's groups (IRI -> Multikey), as its last Update named them: the
    # electorate of adoptions under a charter whose groups vote
    groups: dict[str, dict[str, str]] = field(default_factory=dict)

    def adoption_electorate(self) -> frozenset[str]:
        if self.charter.voters != "groups":
            return frozenset(self.members)
        return frozenset(g for m in self.members for g in self.groups.get(m, {}))


def _sort_key(record: dict[str, Any]) -> tuple[datetime, str]:
    try:
        return (published_at(record), str(record.get("id")))
    except RecordError:
        return (datetime.min.replace(tzinfo=UTC), str(record.get("id")))


def fold(charter: Charter, records: Iterable[Any]) -> State:
    """The members and proposals that `records` (in any order) give under `charter`."""
    state = State(charter, {charter.founder}, {charter.founder: charter.founder_key})
    return _fold_into(state, records)


def fold_among(
    charter: Charter, members: dict[str, str], records: Iterable[Any]
) -> State:
    """The same fold for a body whose members are given rather than admitted by records
    (a node's assembly: its groups, each with its Multikey); only proposals to adopt and
    votes count there."""
    state = State(charter, set(members), dict(members))
    return _fold_into(
        state,
        (
            r
            for r in records
            if isinstance(r, dict) and r.get("type") in ("Add", "Accept", "Reject")
        ),
    )


def _fold_into(state: State, records: Iterable[Any]) -> State:
    charter = state.charter
    waiting: dict[str, list[dict[str, Any]]] = defaultdict(list)
    ordered = sorted((r for r in records if isinstance(r, dict)), key=_sort_key)
    for record in ordered:
        rid = str(record.get("id"))
        try:
            check_shape(record, charter.id)
            actor = str(id_of(record["actor"]))
            key = state.keys.get(actor)
            if key is None:
                msg = f"{actor} is not known in this confederation"
                raise RecordError(msg)
            verify_record(record, key)
            _apply(state, record, actor, waiting)
        except FederationError as exc:
            state.refused[rid] = str(exc)
    return state


def _apply(
    state: State,
    record: dict[str, Any],
    actor: str,
    waiting: dict[str, list[dict[str, Any]]],
) -> None:
    match record["type"]:
        case "Invite" | "Remove" | "Add":
            proposal = _proposal(state, record, actor)
            state.proposals[proposal.id] = proposal
            state.applied.append(proposal.id)
            if proposal.action == "admit" and state.charter.membership == "open":
                _settle(state, proposal, passed=True)
            for vote in waiting.pop(proposal.id, []):
                _vote(state, vote)
        case "Accept" | "Reject":
            target = id_of(record.get("object"))
            if target not in state.proposals:
                waiting[str(target)].append(record)
                return
            _vote(state, record)
        case "Update":
            if actor not in state.members:
                msg = f"{actor} is not a member and has no groups here"
                raise RecordError(msg)
            groups = read_groups(record)
            taken = set(groups) & (set(state.keys) - set(state.groups.get(actor, {})))
            if taken:
                msg = f"{sorted(taken)[0]} is already known here, not as its group"
                raise RecordError(msg)
            state.groups[actor] = groups
            state.keys.update(groups)
            state.applied.append(record["id"])
        case "Leave":
            if actor not in state.members:
                msg = f"{actor} is not a member"
                raise RecordError(msg)
            _gone(state, actor)
            state.applied.append(record["id"])


def _proposal(state: State, record: dict[str, Any], proposer: str) -> Proposal:
    if proposer not in state.members:
        msg = f"{proposer} is not a member and cannot propose"
        raise RecordError(msg)
    for open_one in state.proposals.values():
        if open_one.state == "open" and open_one.subject == _subject(state, record):
            msg = "a proposal about this is already open"
            raise RecordError(msg)
    if record["type"] == "Invite":
        subject, key = read_join(record.get("object"), state.charter.id)
        if subject in state.members:
            msg = f"{subject} is already a member"
            raise RecordError(msg)
        state.keys[subject] = key
        return Proposal(
            record["id"], "admit", subject, proposer, frozenset(state.members), key
        )
    if record["type"] == "Add":
        version = _subject(state, record)
        if version is None or not version.startswith(("https://", "http://")):
            msg = "a proposal to adopt names a vision version's IRI"
            raise RecordError(msg)
        electorate = state.adoption_electorate()
        if not electorate:
            msg = "no member has named its groups yet: nobody could vote on this"
            raise RecordError(msg)
        return Proposal(record["id"], "adopt", version, proposer, electorate)
    removed = _subject(state, record)
    if removed is None or removed not in state.members:
        msg = f"{removed} is not a member"
        raise RecordError(msg)
    return Proposal(record["id"], "remove", removed, proposer, frozenset(state.members))


def _subject(state: State, record: dict[str, Any]) -> str | None:
    obj = record.get("object")
    if record["type"] == "Invite":
        return id_of(obj.get("actor")) if isinstance(obj, dict) else None
    return id_of(obj)


def _vote(state: State, record: dict[str, Any]) -> None:
    proposal = state.proposals[str(id_of(record.get("object")))]
    voter = str(id_of(record["actor"]))
    if proposal.state != "open":
        msg = "the proposal is already decided"
        raise RecordError(msg)
    if voter not in proposal.electorate:
        msg = f"{voter} was not a member when this was proposed"
        raise RecordError(msg)
    if voter in proposal.yes or voter in proposal.no:
        msg = f"{voter} already voted"
        raise RecordError(msg)
    (proposal.yes if record["type"] == "Accept" else proposal.no).add(voter)
    state.applied.append(record["id"])
    size = len(proposal.electorate)
    want = needed(state.charter.quorum, size)
    if len(proposal.yes) >= want:
        _settle(state, proposal, passed=True)
    elif len(proposal.yes) + size - len(proposal.yes) - len(proposal.no) < want:
        _settle(state, proposal, passed=False)


def _settle(state: State, proposal: Proposal, *, passed: bool) -> None:
    proposal.state = "passed" if passed else "failed"
    if not passed:
        return
    if proposal.action == "admit":
        state.members.add(proposal.subject)
    elif proposal.action == "adopt":
        state.adopted.append(proposal)
    else:
        _gone(state, proposal.subject)


def _gone(state: State, member: str) -> None:
    """A member leaves or is removed: its groups vote on no later proposal."""
    state.members.discard(member)
    state.groups.pop(member, None)


def short_id(record_id: str) -> str:
    """The last segment of a record's id (its path's, or its fragment's): what an operator
    types for `confederation vote NAME SHORT_ID yes`."""
    return record_id.rstrip("/").replace("#", "/").rsplit("/", 1)[-1]


MIN_PREFIX = 6


def find_proposal(state: State, ref: str) -> Proposal | None:
    """The proposal `ref` names: its id, its short id, or a prefix (of at least
    MIN_PREFIX characters) of exactly one short id."""
    if ref in state.proposals:
        return state.proposals[ref]
    exact = [p for p in state.proposals.values() if short_id(p.id) == ref]
    if exact:
        return exact[0]
    if len(ref) < MIN_PREFIX:
        return None
    starting = [p for p in state.proposals.values() if short_id(p.id).startswith(ref)]
    return starting[0] if len(starting) == 1 else None
