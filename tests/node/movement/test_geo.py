"""The geographic view's projection (pure): pins inside the box, north up, east right,
shapes kept, a scale bar that says the truth, and nothing without coordinates."""

from __future__ import annotations

import math
from typing import Any

from node.movement import geo


def _call(n: int, lat: float | None, lon: float | None) -> dict[str, Any]:
    location: dict[str, Any] = {"name": f"place {n}"}
    if lat is not None and lon is not None:
        location |= {"latitude": lat, "longitude": lon}
    return {
        "id": f"https://n.example/c/{n}",
        "title": f"call {n}",
        "fields": {"location": location},
    }


def test_pins_keep_north_up_east_right_and_stay_in_the_box() -> None:
    shown = geo.place_pins(
        [_call(1, 47.60, -122.33), _call(2, 47.68, -122.30), _call(3, 47.55, -122.40)]
    )
    one, two, three = shown.pins
    assert two.y < one.y < three.y, "north is up"
    assert three.x < one.x < two.x, "east is right"
    for pin in shown.pins:
        assert geo.PAD - 0.1 <= pin.x <= shown.width - geo.PAD + 0.1
        assert geo.PAD - 0.1 <= pin.y <= shown.height - geo.PAD + 0.1
    # the shape is kept: a degree of longitude is cos(latitude) of a degree of latitude
    dx = (two.x - three.x) / (0.10 * math.cos(math.radians(47.615)))
    dy = (three.y - two.y) / 0.13
    assert math.isclose(dx, dy, rel_tol=1e-2)


def test_the_scale_bar_measures_what_it_says() -> None:
    shown = geo.place_pins([_call(1, 0.0, 0.0), _call(2, 1.0, 0.0)])
    one, two = shown.pins
    px_per_km = (one.y - two.y) / 111.32  # a degree of latitude
    assert math.isclose(shown.scale_px, shown.scale_km * px_per_km, rel_tol=1e-2)
    assert shown.scale_km in {1, 2, 5, 10, 20, 50, 100}


def test_one_call_is_centred_and_calls_without_coordinates_are_left_out() -> None:
    shown = geo.place_pins([_call(1, 52.52, 13.40), _call(2, None, None)])
    assert [p.number for p in shown.pins] == [1]
    assert (shown.pins[0].x, shown.pins[0].y) == (shown.width / 2, shown.height / 2)
    assert geo.place_pins([_call(3, None, None)]).pins == []
    bogus = _call(4, 123.0, 500.0)
    assert geo.place_pins([bogus]).pins == []
