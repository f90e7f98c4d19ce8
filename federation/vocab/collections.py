"""OrderedCollection and OrderedCollectionPage documents, and the paging arithmetic."""

from __future__ import annotations

from typing import Any

AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
PAGE_SIZE = 20


def collection(*, id: str, total: int, first: str | None) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "@context": AS_CONTEXT,
        "id": id,
        "type": "OrderedCollection",
        "totalItems": total,
    }
    if first is not None:
        doc["first"] = first
    return doc


def page(
    *,
    collection_id: str,
    page_number: int,
    items: list[Any],
    total: int,
    page_size: int = PAGE_SIZE,
) -> dict[str, Any]:
    """Page `page_number` (from 1) of a collection; `next`/`prev` when they exist."""
    doc: dict[str, Any] = {
        "@context": AS_CONTEXT,
        "id": f"{collection_id}?page={page_number}",
        "type": "OrderedCollectionPage",
        "partOf": collection_id,
        "totalItems": total,
        "orderedItems": items,
    }
    if page_number * page_size < total:
        doc["next"] = f"{collection_id}?page={page_number + 1}"
    if page_number > 1:
        doc["prev"] = f"{collection_id}?page={page_number - 1}"
    return doc


def parse_page(value: str | None) -> int | None:
    """`?page=N` -> N (None for the collection itself); raises ValueError for garbage."""
    if value is None:
        return None
    number = int(value)
    if number < 1 or number > 1_000_000:
        msg = "page out of range"
        raise ValueError(msg)
    return number
