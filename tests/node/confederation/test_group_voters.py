"""Under a charter with `voters = "groups"`, the member nodes' groups vote on adoptions: a
node names its groups and their keys in a signed Update, the fold takes the keys from it,
and only those groups (as they were when the adoption was proposed) count. Admissions are
still the nodes'. A node's own vote, a group of another origin, a group of a node that is
not a member and a group vote signed by another key change nothing."""

from datetime import datetime
from typing import Any

from node.confederation import records as rec, voters
from node.confederation.membership import State, fold
from tests.node.confederation.test_membership import CONF, T0, Member, at


class Group(Member):
    def __init__(self, host: str, name: str) -> None:
        super().__init__(host)
        self.uri = f"https://{host}/actors/{name}"


def charter_doc(founder: Member, **extra: str) -> dict[str, Any]:
    return rec.charter_document(
        {
            "name": "cascadia",
            "title": "Cascadia",
            "place": "Cascadia",
            "scope": "bioregion",
            "membership": "open",
            "quorum": "majority",
            **extra,
        },
        charter_id=CONF,
        founder=founder.uri,
        founder_key=founder.multikey,
        published=T0,
    )


def groups_charter(founder: Member, voters_: str = "groups") -> rec.Charter:
    doc = charter_doc(founder, voters=voters_)
    return rec.read_charter(founder.sign(doc), expected_id=CONF)


def names(node: Member, groups: list[Member], when: datetime) -> dict[str, Any]:
    return node.sign(
        voters.introduce_groups(
            id=node.next_id(),
            actor=node.uri,
            confederation=CONF,
            groups={g.uri: g.multikey for g in groups},
            published=when,
        )
    )


def adopt(node: Member, when: datetime, version: int = 1) -> dict[str, Any]:
    return node.sign(
        rec.adopt(
            id=node.next_id(),
            actor=node.uri,
            confederation=CONF,
            version=f"https://a.example/objects/v/versions/{version}",
            title="A city for everyone",
            published=when,
        )
    )


def two_nodes() -> tuple[rec.Charter, list[dict[str, Any]], Member, Member]:
    a, b = Member("a.example"), Member("b.example")
    invite_b = a.invite(b.join(at(1)), at(2))  # open: admitted at once
    return groups_charter(a), [invite_b], a, b


def test_the_groups_named_by_member_nodes_vote_and_carry_an_adoption() -> None:
    charter, records, a, b = two_nodes()
    tenants, transit = Group("a.example", "tenants"), Group("a.example", "transit")
    cyclists = Group("b.example", "cyclists")
    records += [names(a, [tenants, transit], at(3)), names(b, [cyclists], at(4))]
    proposal = adopt(a, at(5))
    records += [proposal, tenants.vote(proposal["id"], at(6))]
    state = fold(charter, records)
    opened = state.proposals[proposal["id"]]
    assert opened.electorate == {tenants.uri, transit.uri, cyclists.uri}
    assert opened.yes == {tenants.uri}
    assert state.adopted == []  # 1 of 3: not yet a majority
    records.append(cyclists.vote(proposal["id"], at(7)))
    state = fold(charter, records)
    assert [p.id for p in state.adopted] == [proposal["id"]]
    assert state.groups[b.uri] == {cyclists.uri: cyclists.multikey}
    assert state.members == {a.uri, b.uri}, "admissions stay the nodes'"


def test_a_nodes_own_vote_on_an_adoption_does_not_count_where_groups_vote() -> None:
    charter, records, a, b = two_nodes()
    tenants = Group("a.example", "tenants")
    records += [names(a, [tenants], at(3))]
    proposal = adopt(a, at(4))
    vote_a, vote_b = a.vote(proposal["id"], at(5)), b.vote(proposal["id"], at(6))
    state = fold(charter, [*records, proposal, vote_a, vote_b])
    assert vote_a["id"] in state.refused
    assert vote_b["id"] in state.refused
    assert state.proposals[proposal["id"]].yes == set()
    # the same records under a charter where nodes vote: both count
    nodes_vote = fold(groups_charter(a, "nodes"), [*records, proposal, vote_a])
    assert nodes_vote.proposals[proposal["id"]].yes == {a.uri}


def test_no_adoption_can_open_before_any_group_is_named() -> None:
    charter, records, a, _b = two_nodes()
    proposal = adopt(a, at(3))
    state = fold(charter, [*records, proposal])
    assert "named its groups" in state.refused[proposal["id"]]
    assert proposal["id"] not in state.proposals


def test_what_a_node_cannot_name_changes_nothing() -> None:
    charter, records, a, _b = two_nodes()
    outsider = Member("d.example")
    theirs = Group("d.example", "tenants")
    elsewhere = Group("b.example", "cyclists")  # on B's server, named by A
    unreadable = names(a, [Group("a.example", "x")], at(3))
    unreadable["object"]["items"][0]["proofKey"] = "not-a-multikey"
    unreadable = a.sign({k: v for k, v in unreadable.items() if k != "proof"})
    tries = [
        names(outsider, [theirs], at(3)),  # not a member
        names(a, [elsewhere], at(4)),  # another origin
        names(a, [Member("a.example")], at(5)),  # the node itself, as its group
        unreadable,
    ]
    state = fold(charter, [*records, *tries])
    assert set(state.refused) == {t["id"] for t in tries}
    assert state.groups == {}


def test_a_group_vote_signed_by_another_key_is_refused() -> None:
    charter, records, a, _b = two_nodes()
    tenants = Group("a.example", "tenants")
    records += [names(a, [tenants], at(3))]
    proposal = adopt(a, at(4))
    forger = Group("a.example", "tenants")  # same IRI, its own key
    forged = forger.vote(proposal["id"], at(5))
    state = fold(charter, [*records, proposal, forged])
    assert forged["id"] in state.refused
    assert state.proposals[proposal["id"]].yes == set()


def test_a_later_update_replaces_the_groups_and_a_member_gone_takes_its_groups() -> (
    None
):
    charter, records, a, b = two_nodes()
    tenants, transit = Group("a.example", "tenants"), Group("a.example", "transit")
    cyclists = Group("b.example", "cyclists")
    records += [names(a, [tenants], at(3)), names(b, [cyclists], at(4))]
    records.append(names(a, [transit], at(5)))  # tenants dissolved, transit founded
    first = adopt(a, at(6))
    records.append(first)
    state: State = fold(charter, records)
    assert state.proposals[first["id"]].electorate == {transit.uri, cyclists.uri}
    leave = b.sign(
        rec.leave(id=b.next_id(), actor=b.uri, confederation=CONF, published=at(7))
    )
    second = adopt(a, at(8), version=2)
    # B's group still votes on what it was in the electorate of, not on what came after
    late = cyclists.vote(first["id"], at(9))
    after = cyclists.vote(second["id"], at(10))
    state = fold(charter, [*records, leave, second, late, after])
    assert state.proposals[second["id"]].electorate == {transit.uri}
    assert cyclists.uri in state.proposals[first["id"]].yes
    assert after["id"] in state.refused


def test_a_charter_signed_before_voters_existed_reads_as_nodes_voting() -> None:
    founder = Member("a.example")
    doc = charter_doc(founder)
    del doc["voters"]
    assert rec.read_charter(founder.sign(doc)).voters == "nodes"
