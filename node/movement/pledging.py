"""Pledges to a call to action (pure): which calls take them, the questions a group asks
from clients without Event support, what each answer means, and what a pledger is told
when the call changes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from node.movement.wire import CAPABILITY_LABELS, when_text, where_text

ANSWERS = ("going", "maybe", "no")
# what an event-aware server's activity of our Event says (Mobilizon, Friendica, Gancio)
PARTICIPATION = {
    "Join": "going",
    "Accept": "going",
    "TentativeAccept": "maybe",
    "Reject": "no",
}
TURNOUT_OPTIONS = {"I'll be there": "going", "Maybe": "maybe", "I can't come": "no"}
VOLUNTEER = "volunteer"


def takes_pledges(fields: dict[str, Any], now: datetime) -> bool:
    """A call with a time still ahead that asks for turnout or hands."""
    asks = set(fields.get("asks", []))
    return (
        "startTime" in fields
        and datetime.fromisoformat(fields["startTime"]) > now
        and bool(asks & {"turnout", "volunteers", "capabilities"})
    )


def help_options(fields: dict[str, Any]) -> dict[str, str]:
    """Option name -> what it offers: volunteering, or one needed capability."""
    options = {}
    if "volunteers" in fields.get("asks", []):
        options["I can volunteer"] = VOLUNTEER
    if "capabilities" in fields.get("asks", []) or "volunteers" in fields.get(
        "asks", []
    ):
        for kind in fields.get("capabilitiesNeeded", []):
            options[f"I can help with {CAPABILITY_LABELS[kind]}"] = kind
    return options


@dataclass(frozen=True, slots=True)
class Ask:
    """One direct Question: `turnout` (one answer) or `help` (any of the options)."""

    ask: str
    text: str
    options: dict[str, str]  # option name -> answer (turnout) or help kind

    @property
    def multiple(self) -> bool:
        return self.ask == "help"


def asks_for(fields: dict[str, Any]) -> list[Ask]:
    title = fields["title"]
    at = when_text(fields)
    found = []
    if "turnout" in fields.get("asks", []):
        found.append(
            Ask("turnout", f"Will you come to {title}? {at}.", TURNOUT_OPTIONS)
        )
    helping = help_options(fields)
    if helping:
        found.append(
            Ask("help", f"Can you help with {title}? Choose any that fit.", helping)
        )
    return found


def changes(old: dict[str, Any], new: dict[str, Any] | None) -> list[str]:
    """What a pledger must hear about: a new time or place, or the call cancelled."""
    if new is None:
        return [f"{old['title']} is cancelled."]
    said = []
    if "startTime" in new and (
        old.get("startTime") != new.get("startTime")
        or old.get("endTime") != new.get("endTime")
        or old.get("timezone") != new.get("timezone")
    ):
        said.append(
            f"New time: {when_text(new)} (was {when_text(old)})."
            if "startTime" in old
            else f"Time: {when_text(new)}."
        )
    old_place = where_text(old["location"]) if "location" in old else None
    new_place = where_text(new["location"]) if "location" in new else None
    if old_place != new_place and new_place is not None:
        said.append(
            f"New place: {new_place}" + (f" (was {old_place})." if old_place else ".")
        )
    if "startTime" in old and "startTime" not in new:
        said.append("It no longer has a time.")
    return said
