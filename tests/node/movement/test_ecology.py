"""The movement map's layout: readable at 50 groups (rows never closer than ROW), bridges
counted per pair of clusters, edges only between what is drawn."""

from __future__ import annotations

import itertools

from node.movement.ecology import ROW, bridges_of, layout


def data(groups: int) -> dict[str, object]:
    names = [f"group{i:02}" for i in range(groups)]
    return {
        "groups": [(n, n.title()) for n in names],
        "clusters": [("housing", ""), ("transport", ""), ("climate", "")],
        "links": [
            (n, "housing" if i % 2 else "climate", i % 5 + 1)
            for i, n in enumerate(names)
        ]
        + [("node", "housing", 3)],
        "bridges": [["housing", "climate"], ["climate", "housing", "transport"]],
        "offers": {"group01": 2},
    }


def test_fifty_groups_keep_their_rows_apart_and_inside_the_picture() -> None:
    shown = layout(data(50), [])
    ys = [g.y for g in shown.groups]
    assert len(ys) == 50
    assert all(b - a >= ROW for a, b in itertools.pairwise(ys))
    assert min(ys) > 0
    assert max(ys) < shown.height
    assert len(shown.links) == 50  # the node's own link has no group to start from
    assert next(g for g in shown.groups if g.key == "g:group01").note == "2 offers"


def test_bridges_count_each_pair_of_clusters_an_object_joins() -> None:
    assert bridges_of(
        [["housing", "climate"], ["climate", "housing", "transport"]]
    ) == {
        ("climate", "housing"): 2,
        ("climate", "transport"): 1,
        ("housing", "transport"): 1,
    }
    shown = layout(data(2), [])
    assert {(e.source, e.target, e.count) for e in shown.bridges} == {
        ("c:climate", "c:housing", 2),
        ("c:climate", "c:transport", 1),
        ("c:housing", "c:transport", 1),
    }


def test_confederations_list_their_member_nodes() -> None:
    conf = {
        "id": "https://a.example/actors/cascadia/charter",
        "title": "Cascadia",
        "scope": "bioregion",
        "members": ["https://a.example/actors/node", "https://b.example/actors/node"],
    }
    shown = layout(data(1), [conf])
    assert [c.label for c in shown.confederations] == ["Cascadia"]
    assert [m.label for m in shown.members] == ["node@a.example", "node@b.example"]
    assert shown.members[0].y < shown.members[1].y < shown.height
