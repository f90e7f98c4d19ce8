"""Where calls to action happen, drawn from their stored coordinates (pure): a projection
of latitude and longitude into an SVG box, with no map tiles and nothing fetched, so a
visitor's browser asks no other server for anything.

Equirectangular with the longitude scaled by the cosine of the middle latitude (true to
shape at a city's or a region's scale), fitted into the box with its aspect kept; a span
is at least MIN_SPAN degrees, so one call alone is not blown up to fill the box.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

MIN_SPAN = 0.05  # degrees (~5 km): the least a map shows
WIDTH, HEIGHT, PAD = 640, 400, 28


@dataclass(frozen=True, slots=True)
class Pin:
    number: int  # the pin's label on the map, and its item in the list beside it
    x: float
    y: float
    title: str
    url: str
    when: str
    where: str


@dataclass
class GeoMap:
    width: int = WIDTH
    height: int = HEIGHT
    pins: list[Pin] = field(default_factory=list)
    scale_km: float = 0.0  # the scale bar's length in km
    scale_px: float = 0.0  # and on the map


def _located(fields: dict[str, Any]) -> tuple[float, float] | None:
    place = fields.get("location")
    if not isinstance(place, dict):
        return None
    lat, lon = place.get("latitude"), place.get("longitude")
    if not isinstance(lat, int | float) or not isinstance(lon, int | float):
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return float(lat), float(lon)


def _nice(km: float) -> float:
    """A round length (1, 2 or 5 x 10^n km) at most `km`."""
    if km <= 0:
        return 0.0
    power = 10 ** math.floor(math.log10(km))
    return float(max(s * power for s in (1, 2, 5) if s * power <= km))


def place_pins(calls: list[dict[str, Any]]) -> GeoMap:
    """`calls` (each id, title, fields, when, where) with coordinates, as numbered pins."""
    located = [(c, _located(c["fields"])) for c in calls]
    points = [(c, at) for c, at in located if at is not None]
    if not points:
        return GeoMap()
    lats = [at[0] for _c, at in points]
    lons = [at[1] for _c, at in points]
    mid_lat = (max(lats) + min(lats)) / 2
    squeeze = max(math.cos(math.radians(mid_lat)), 0.01)
    span_x = max((max(lons) - min(lons)) * squeeze, MIN_SPAN)
    span_y = max(max(lats) - min(lats), MIN_SPAN)
    scale = min((WIDTH - 2 * PAD) / span_x, (HEIGHT - 2 * PAD) / span_y)
    centre_x = (max(lons) + min(lons)) / 2 * squeeze
    centre_y = (max(lats) + min(lats)) / 2
    pins = [
        Pin(
            number=i,
            x=round(WIDTH / 2 + (at[1] * squeeze - centre_x) * scale, 1),
            y=round(HEIGHT / 2 - (at[0] - centre_y) * scale, 1),
            title=str(c["title"]),
            url=str(c["id"]),
            when=str(c.get("when", "")),
            where=str(c.get("where", "")),
        )
        for i, (c, at) in enumerate(points, start=1)
    ]
    km_per_px = 111.32 / scale  # a degree of latitude is ~111 km
    scale_km = _nice(km_per_px * WIDTH / 4)
    return GeoMap(pins=pins, scale_km=scale_km, scale_px=round(scale_km / km_per_px, 1))
