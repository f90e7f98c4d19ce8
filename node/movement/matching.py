"""Capability matching (pure): rank the capability offers a node knows against what a call
to action needs — the kind of capability first, then the area served, then availability."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

WORD = re.compile(r"[^\W\d_]{3,}|\d{3,}", re.UNICODE)
WEEKDAYS = (
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
)
ANYWHERE = frozenset(
    {"anywhere", "online", "remote", "everywhere", "statewide", "nationwide"}
)
ANYTIME = frozenset({"any", "anytime", "always", "24/7", "flexible", "whenever"})
STOP = frozenset(
    {"the", "and", "for", "with", "from", "county", "city", "area", "ave", "street"}
)


@dataclass(frozen=True, slots=True)
class Offer:
    id: str
    actor: str
    fields: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Match:
    offer: Offer
    kind: int  # 1: a capability the call needs
    area: int  # place words the offer's area shares with the call's place (or 1: anywhere)
    availability: int  # 1: the offer's availability names the call's day or time of day

    def as_json(self) -> dict[str, Any]:
        f = self.offer.fields
        return {
            "offer": self.offer.id,
            "actor": self.offer.actor,
            "title": f.get("title"),
            "capability": f.get("capability"),
            "areaServed": f.get("areaServed"),
            "availability": f.get("availability"),
            "score": {
                "kind": self.kind,
                "area": self.area,
                "availability": self.availability,
            },
        }


def words(text: str) -> set[str]:
    return {w for w in WORD.findall(text.lower()) if w not in STOP}


def _call_place(call: dict[str, Any]) -> set[str]:
    location = call.get("location") or {}
    return words(" ".join(str(location.get(k, "")) for k in ("name", "address")))


def _moments(call: dict[str, Any]) -> set[str]:
    """Words naming when the call happens: its weekday, weekday/weekend, part of day."""
    start = call.get("startTime")
    if not isinstance(start, str):
        return set()
    try:
        when = datetime.fromisoformat(start)
    except ValueError:
        return set()
    day = WEEKDAYS[when.weekday()]
    part = "morning" if when.hour < 12 else "afternoon" if when.hour < 17 else "evening"
    span = {"weekend", "weekends"} if when.weekday() >= 5 else {"weekday", "weekdays"}
    return {day, day + "s", part, part + "s", *span}


DAY_WORDS = frozenset(
    {
        *WEEKDAYS,
        *(d + "s" for d in WEEKDAYS),
        "weekday",
        "weekdays",
        "weekend",
        "weekends",
    }
)
PART_WORDS = frozenset(
    {"morning", "mornings", "afternoon", "afternoons", "evening", "evenings"}
)


def _fits(available: set[str], moments: set[str]) -> bool:
    """The offer names days or parts of the day, and the call's falls in each it names."""
    days, parts = available & DAY_WORDS, available & PART_WORDS
    if not moments or not (days or parts):
        return False
    return (not days or bool(days & moments)) and (not parts or bool(parts & moments))


def score(call: dict[str, Any], offer: Offer) -> Match:
    needed = set(call.get("capabilitiesNeeded", []))
    area_words = words(str(offer.fields.get("areaServed", "")))
    area = 1 if area_words & ANYWHERE else len(area_words & _call_place(call))
    available = set(str(offer.fields.get("availability", "")).lower().split()) | words(
        str(offer.fields.get("availability", ""))
    )
    availability = int(bool(available & ANYTIME) or _fits(available, _moments(call)))
    return Match(
        offer, int(offer.fields.get("capability") in needed), area, availability
    )


def rank(call: dict[str, Any], offers: list[Offer]) -> list[Match]:
    """Every offer, best first: kind, then area, then availability, then title."""
    scored = [score(call, o) for o in offers]
    return sorted(
        scored,
        key=lambda m: (
            -m.kind,
            -m.area,
            -m.availability,
            str(m.offer.fields.get("title")),
        ),
    )
