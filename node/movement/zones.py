"""IANA time zones (pure): which names exist, and what to suggest for one that does not.

`zoneinfo.ZoneInfo("Pacific")` raises IsADirectoryError (a directory of the zone database,
not a zone), "US" the same, "utc+2" ValueError: every name is checked against the list of
zones instead, so that a wrong one is a clear refusal, never a crash.
"""

from __future__ import annotations

import difflib
import functools
import zoneinfo


class UnknownZoneError(ValueError):
    """Not an IANA time zone; the message suggests some that are."""


@functools.cache
def names() -> tuple[str, ...]:
    """Every IANA zone name this machine knows (system database or the tzdata wheel),
    sorted; the zones' old aliases (US/Pacific…) are left out of lists but accepted."""
    return tuple(sorted(zoneinfo.available_timezones()))


@functools.cache
def _known() -> frozenset[str]:
    return frozenset(names())


def choices() -> tuple[str, ...]:
    """The zones to offer in a form: Area/Location names, and UTC."""
    return tuple(
        n
        for n in names()
        if n == "UTC" or ("/" in n and n.split("/")[0][0].isupper() and n[:3] != "Etc")
    )


def suggest(name: str, *, limit: int = 5) -> list[str]:
    """Zones the author may have meant: those inside an area they named (Pacific/…),
    else the closest spellings."""
    area = name.strip().rstrip("/").lower() + "/"
    inside = [z for z in choices() if z.lower().startswith(area)]
    if inside:
        return inside[:limit]
    lowered = {z.lower(): z for z in names()}
    close = difflib.get_close_matches(name.strip().lower(), list(lowered), n=limit)
    return [lowered[c] for c in close]


def check(name: str) -> zoneinfo.ZoneInfo:
    """The zone called `name`.

    Raises:
        UnknownZoneError: with suggestions.
    """
    if name not in _known():
        hints = suggest(name)
        also = f"; did you mean {', '.join(hints)}?" if hints else ""
        msg = f"unknown time zone {name!r} (an IANA name like Europe/Berlin){also}"
        raise UnknownZoneError(msg)
    return zoneinfo.ZoneInfo(name)
