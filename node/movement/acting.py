"""What a call's page tells a person to do (pure): the asks as instructions, a link to an
open map of the place, and how urgent it is."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlencode

from node.movement.wire import CAPABILITY_LABELS

INSTRUCTIONS = {
    "turnout": "Come, and bring people with you.",
    "public-comment": "Send a public comment before the deadline.",
    "volunteers": "Volunteer: tell the organisers what you can do.",
    "capabilities": "Bring what the call needs: {needed}.",
}
OSM = "https://www.openstreetmap.org/"


def instructions(data: Mapping[str, Any]) -> list[str]:
    """The call's asks, each as one instruction (in the order the call lists them)."""
    needed = [
        CAPABILITY_LABELS.get(c, c) for c in data.get("capabilitiesNeeded", []) or []
    ]
    shown = []
    for ask in data.get("asks", []) or []:
        if ask == "capabilities" and not needed:
            shown.append("Bring what you can offer.")
            continue
        text = INSTRUCTIONS.get(ask)
        if text is not None:
            shown.append(text.format(needed=", ".join(needed)))
    return shown


def map_link(location: Mapping[str, Any] | None) -> str | None:
    """A link to the place on OpenStreetMap (a marker from the coordinates, else a search
    for the address or the name); no map is embedded, nothing is fetched."""
    if not location:
        return None
    lat, lon = location.get("latitude"), location.get("longitude")
    if isinstance(lat, int | float) and isinstance(lon, int | float):
        query = urlencode({"mlat": f"{lat:.6f}", "mlon": f"{lon:.6f}"})
        return f"{OSM}?{query}#map=17/{lat:.6f}/{lon:.6f}"
    where = location.get("address") or location.get("name")
    if not isinstance(where, str) or not where.strip():
        return None
    return f"{OSM}search?query={quote(where.strip())}"
