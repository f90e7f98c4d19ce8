"""Membership is a pure fold over signed records: the same records give the same members,
in any order; keys come from the chain; forged, replayed and out-of-turn records are refused."""

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ed25519

from federation import proofs
from node.confederation import records as rec
from node.confederation.membership import (
    Proposal,
    State,
    find_proposal,
    fold,
    needed,
    short_id,
)

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
CONF = "https://a.example/actors/cascadia/charter"


class Member:
    def __init__(self, host: str) -> None:
        self.uri = f"https://{host}/actors/node"
        self.key = ed25519.Ed25519PrivateKey.generate()
        self.multikey = proofs.multikey(self.key.public_key())
        self.n = 0

    def sign(self, doc: dict[str, Any]) -> dict[str, Any]:
        return proofs.sign(
            doc, self.key, verification_method=f"{self.uri}#ed25519-key", created=T0
        )

    def next_id(self) -> str:
        self.n += 1
        return f"{self.uri}/activities/{self.n}"

    def join(self, at: datetime) -> dict[str, Any]:
        return self.sign(
            rec.join(
                id=self.next_id(),
                actor=self.uri,
                confederation=CONF,
                key=self.multikey,
                published=at,
            )
        )

    def invite(self, join: dict[str, Any], at: datetime) -> dict[str, Any]:
        return self.sign(
            rec.invite(
                id=self.next_id(),
                actor=self.uri,
                confederation=CONF,
                signed_join=join,
                published=at,
            )
        )

    def vote(self, proposal: str, at: datetime, yes: bool = True) -> dict[str, Any]:
        return self.sign(
            rec.vote(
                id=self.next_id(),
                actor=self.uri,
                confederation=CONF,
                proposal=proposal,
                yes=yes,
                published=at,
            )
        )


def charter(founder: Member, membership: str = "vote") -> rec.Charter:
    doc = rec.charter_document(
        {
            "name": "cascadia",
            "title": "Cascadia",
            "place": "Cascadia",
            "scope": "bioregion",
            "membership": membership,
            "quorum": "majority",
        },
        charter_id=CONF,
        founder=founder.uri,
        founder_key=founder.multikey,
        published=T0,
    )
    return rec.read_charter(founder.sign(doc), expected_id=CONF)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def history() -> tuple[rec.Charter, list[dict[str, Any]], Member, Member, Member]:
    a, b, c = Member("a.example"), Member("b.example"), Member("c.example")
    invite_b = a.invite(b.join(at(1)), at(2))
    invite_c = a.invite(c.join(at(4)), at(5))
    records = [
        invite_b,
        a.vote(invite_b["id"], at(3)),
        invite_c,
        a.vote(invite_c["id"], at(6)),
        b.vote(invite_c["id"], at(7)),
    ]
    return charter(a), records, a, b, c


def test_votes_admit_and_every_order_gives_the_same_members() -> None:
    chart, records, a, b, c = history()
    state = fold(chart, records)
    assert state.members == {a.uri, b.uri, c.uri}
    assert not state.refused
    for seed in range(5):
        shuffled = records[:]
        random.Random(seed).shuffle(shuffled)
        assert fold(chart, shuffled).members == state.members


def test_one_vote_of_two_is_not_a_majority() -> None:
    chart, records, a, b, _c = history()
    assert fold(chart, records[:4]).members == {a.uri, b.uri}
    assert fold(chart, records[:4]).proposals[records[2]["id"]].state == "open"


def test_a_vote_that_arrives_before_its_proposal_waits_for_it() -> None:
    chart, records, a, b, c = history()
    # B's clock runs behind: its vote is dated before the proposal it votes on
    early = b.vote(records[2]["id"], at(4))
    state = fold(chart, [*records[:4], early])
    assert state.members == {a.uri, b.uri, c.uri}


def test_forged_replayed_and_outsider_records_change_nothing() -> None:
    chart, records, a, b, _c = history()
    outsider = Member("evil.example")
    replayed = records[1] | {"object": records[2]["id"], "id": a.next_id()}
    state = fold(
        chart, [*records[:3], outsider.vote(records[2]["id"], at(6)), replayed]
    )
    assert state.members == {a.uri, b.uri}
    assert state.proposals[records[2]["id"]].yes == set()
    assert "not known" in state.refused[f"{outsider.uri}/activities/1"]
    assert "does not verify" in state.refused[replayed["id"]]


def test_a_member_admitted_later_cannot_vote_on_an_earlier_proposal() -> None:
    chart, records, a, b, _c = history()
    d = Member("d.example")
    # proposed at 2:30, before A's vote admitted B at 3:00: its electorate is {A}
    invite_d = a.invite(d.join(at(2)), T0 + timedelta(seconds=150))
    late_vote = b.vote(invite_d["id"], at(8))
    state = fold(chart, [*records[:2], invite_d, late_vote])
    assert invite_d["id"] in state.proposals
    assert state.proposals[invite_d["id"]].electorate == frozenset({a.uri})
    assert state.members == {a.uri, b.uri}
    assert "not a member when" in state.refused[late_vote["id"]]


def test_an_open_charter_admits_on_the_proposal_and_leave_removes() -> None:
    a, b = Member("a.example"), Member("b.example")
    invite_b = a.invite(b.join(at(1)), at(2))
    leave = b.sign(
        rec.leave(id=b.next_id(), actor=b.uri, confederation=CONF, published=at(3))
    )
    chart = charter(a, membership="open")
    assert fold(chart, [invite_b]).members == {a.uri, b.uri}
    assert fold(chart, [invite_b, leave]).members == {a.uri}


def test_an_invite_must_carry_the_applicants_own_signed_join() -> None:
    a, b, mallory = Member("a.example"), Member("b.example"), Member("m.example")
    join = b.join(at(1))
    tampered = join | {
        "proofKey": mallory.multikey
    }  # someone else's key under B's name
    state = fold(charter(a), [a.invite(tampered, at(2))])
    assert state.proposals == {}
    assert len(state.refused) == 1


def test_quorum_sizes() -> None:
    assert [needed("majority", n) for n in (1, 2, 3, 4)] == [1, 2, 2, 3]
    assert [needed("two-thirds", n) for n in (1, 2, 3, 4)] == [1, 2, 2, 3]
    assert needed("unanimous", 5) == 5


def test_removal_by_vote_needs_the_quorum_of_the_members_then() -> None:
    chart, records, a, b, c = history()  # members A, B, C
    remove_c = a.sign(
        rec.remove(
            id=a.next_id(),
            actor=a.uri,
            confederation=CONF,
            member=c.uri,
            published=at(10),
        )
    )
    one = fold(chart, [*records, remove_c, a.vote(remove_c["id"], at(11))])
    assert c.uri in one.members  # one yes of three
    two = fold(
        chart,
        [
            *records,
            remove_c,
            a.vote(remove_c["id"], at(11)),
            b.vote(remove_c["id"], at(12)),
        ],
    )
    assert two.members == {a.uri, b.uri}
    assert two.proposals[remove_c["id"]].state == "passed"
    # C's own record after its removal is refused: it is no longer a member
    late = c.sign(
        rec.leave(id=c.next_id(), actor=c.uri, confederation=CONF, published=at(13))
    )
    assert (
        "not a member"
        in fold(
            chart,
            [
                *records,
                remove_c,
                *[a.vote(remove_c["id"], at(11)), b.vote(remove_c["id"], at(12))],
                late,
            ],
        ).refused[late["id"]]
    )


def test_a_proposal_is_found_by_id_short_id_or_unique_prefix() -> None:
    chart, _records, a, _b, _c = history()
    first = "https://a.example/actors/node/activities/4f9a21c0"
    other = "https://a.example/actors/node/activities/4f9b7777"
    state = State(chart, {a.uri}, {})
    for pid in (first, other):
        state.proposals[pid] = Proposal(pid, "admit", "s", a.uri, frozenset())
    assert short_id(first) == "4f9a21c0"
    assert short_id("https://a.example/records#4f9a21c0") == "4f9a21c0"
    assert find_proposal(state, first) is state.proposals[first]
    assert find_proposal(state, "4f9a21c0") is state.proposals[first]
    assert find_proposal(state, "4f9a21") is state.proposals[first]
    assert find_proposal(state, "4f9") is None  # too short to be sure
    assert find_proposal(state, "4f9a2") is None
    assert find_proposal(state, "zzzzzzzz") is None
