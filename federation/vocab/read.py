"""Reading AS2 properties (pure): references that are ids or objects, values that are one
or many. For documents coming in and going out alike."""

from __future__ import annotations

from typing import Any


def id_of(value: Any) -> str | None:
    """The id of a reference that is either a string or an object with `id`."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("id"), str):
        return str(value["id"])
    return None


def as_list(value: Any) -> list[Any]:
    """An AS2 property that may be absent, one value or an array, as a list."""
    return value if isinstance(value, list) else ([] if value is None else [value])


def addressed(document: dict[str, Any]) -> frozenset[str]:
    """Everyone a document names in `to` and `cc` (ids only)."""
    return frozenset(
        i
        for key in ("to", "cc")
        for v in as_list(document.get(key))
        if (i := id_of(v)) is not None
    )
