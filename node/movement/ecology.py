"""The movement map's layout (pure): groups, the clusters they work in, the bridges where
clusters cross (objects in two or more clusters), offers, and the node's confederations
with their member nodes, placed in three columns an SVG template draws as is.

Rows are spaced evenly, so the picture stays readable at 50 groups (it grows taller, never
denser); edge widths grow with the logarithm of the number of objects they stand for.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

GROUP_X, CLUSTER_X, CONF_X = 230, 520, 760
WIDTH = 1000
ROW = 28  # px between groups
CLUSTER_ROW = 44
TOP = 60


@dataclass(frozen=True, slots=True)
class Spot:
    key: str
    label: str
    x: int
    y: int
    note: str = ""  # a second line: offers, member count


@dataclass(frozen=True, slots=True)
class Edge:
    source: str
    target: str
    path: str  # SVG path data
    width: float
    count: int


@dataclass
class Map:
    width: int
    height: int
    groups: list[Spot] = field(default_factory=list)
    clusters: list[Spot] = field(default_factory=list)
    confederations: list[Spot] = field(default_factory=list)
    members: list[Spot] = field(default_factory=list)
    links: list[Edge] = field(default_factory=list)
    bridges: list[Edge] = field(default_factory=list)


def _width(count: int) -> float:
    return round(1 + 1.5 * math.log2(count), 1)


def _spread(n: int, step: int, height: int) -> list[int]:
    """n rows centred in `height`, at least `step` apart."""
    if n == 0:
        return []
    gap = max(step, (height - TOP) // n)
    start = TOP + (height - TOP - gap * (n - 1)) // 2
    return [start + i * gap for i in range(n)]


def bridges_of(cluster_sets: list[list[str]]) -> Counter[tuple[str, str]]:
    """How many objects join each pair of clusters."""
    pairs: Counter[tuple[str, str]] = Counter()
    for clusters in cluster_sets:
        pairs.update(combinations(sorted(set(clusters)), 2))
    return pairs


def layout(data: dict[str, Any], confederations: list[dict[str, Any]]) -> Map:
    """`data`: storage.pages.ecology(); `confederations`: describe() of each."""
    groups, clusters = data["groups"], data["clusters"]
    member_rows = sum(1 + len(c["members"]) for c in confederations)
    height = TOP + max(
        len(groups) * ROW, len(clusters) * CLUSTER_ROW, member_rows * 22, 120
    )
    shown = Map(width=WIDTH, height=height + 40)
    spot: dict[str, Spot] = {}
    for (name, title), y in zip(groups, _spread(len(groups), ROW, height), strict=True):
        offers = data["offers"].get(name, 0)
        note = f"{offers} offer{'s' if offers != 1 else ''}" if offers else ""
        spot[f"g:{name}"] = Spot(f"g:{name}", title or name, GROUP_X, y, note)
        shown.groups.append(spot[f"g:{name}"])
    for (name, _title), y in zip(
        clusters, _spread(len(clusters), CLUSTER_ROW, height), strict=True
    ):
        spot[f"c:{name}"] = Spot(f"c:{name}", f"#{name}", CLUSTER_X, y)
        shown.clusters.append(spot[f"c:{name}"])
    for author, cluster, count in sorted(data["links"]):
        a, b = spot.get(f"g:{author}"), spot.get(f"c:{cluster}")
        if a is None or b is None:
            continue  # the node's own objects, or a cluster since removed
        mid = (a.x + b.x) // 2
        shown.links.append(
            Edge(
                a.key,
                b.key,
                f"M{a.x + 8},{a.y} C{mid},{a.y} {mid},{b.y} {b.x - 12},{b.y}",
                _width(count),
                count,
            )
        )
    for (one, two), count in sorted(bridges_of(data["bridges"]).items()):
        a, b = spot.get(f"c:{one}"), spot.get(f"c:{two}")
        if a is None or b is None:
            continue
        bulge = CLUSTER_X + 40 + abs(b.y - a.y) // 3
        shown.bridges.append(
            Edge(
                a.key,
                b.key,
                f"M{a.x + 12},{a.y} C{bulge},{a.y} {bulge},{b.y} {b.x + 12},{b.y}",
                _width(count),
                count,
            )
        )
    y = TOP
    for conf in confederations:
        shown.confederations.append(
            Spot(
                conf["id"],
                conf["title"],
                CONF_X,
                y,
                f"{conf['scope']} · {len(conf['members'])} member node"
                + ("" if len(conf["members"]) == 1 else "s"),
            )
        )
        y += 36
        for member in conf["members"]:
            shown.members.append(Spot(member, _short(member), CONF_X + 16, y))
            y += 22
        y += 12
    return shown


def _short(url: str) -> str:
    """`host/actors/name` -> `name@host`: how people name a member node."""
    rest = url.split("://", 1)[-1]
    host, _, path = rest.partition("/")
    name = path.rsplit("/", 1)[-1] if path else host
    return f"{name}@{host}"
