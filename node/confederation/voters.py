"""The groups that vote (pure): under a charter with `voters = "groups"`, each member node
names its groups and their Multikeys in a signed `Update` record; the fold takes their keys
from it, so a group's vote on an adoption can be checked by anyone, like a node's."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from federation import proofs
from federation.errors import FederationError
from federation.vocab.read import id_of
from node.confederation.records import RecordError, new_record

MAX_GROUPS = 500  # a node's groups in one Update


def introduce_groups(
    *,
    id: str,
    actor: str,
    confederation: str,
    groups: dict[str, str],
    published: datetime,
) -> dict[str, Any]:
    """A member node names its groups (IRI -> Multikey), which vote on adoptions under a
    charter with `voters = "groups"`; a later one replaces the earlier."""
    return new_record(
        "Update",
        id=id,
        actor=actor,
        published=published,
        object={
            "type": "Collection",
            "totalItems": len(groups),
            "items": [
                {"id": group, "type": "Group", "proofKey": key}
                for group, key in sorted(groups.items())
            ],
        },
        target=confederation,
    )


def read_groups(record: dict[str, Any]) -> dict[str, str]:
    """The groups (IRI -> Multikey) an `Update` record introduces, each on its actor's
    origin (a node speaks only for its own groups), each key a readable Multikey.

    Raises:
        RecordError: malformed, a group on another origin, or an unreadable key.
    """
    actor = str(id_of(record.get("actor")))
    obj = record.get("object")
    items = obj.get("items") if isinstance(obj, dict) else None
    if not isinstance(items, list) or len(items) > MAX_GROUPS:
        msg = f"an Update names its groups in object.items (at most {MAX_GROUPS})"
        raise RecordError(msg)
    groups: dict[str, str] = {}
    for item in items:
        group = id_of(item.get("id")) if isinstance(item, dict) else None
        key = item.get("proofKey") if isinstance(item, dict) else None
        if group is None or not isinstance(key, str) or group == actor:
            msg = "each group needs an id (not the node's) and a proofKey"
            raise RecordError(msg)
        if origin(group) != origin(actor):
            msg = f"{group} is not on {actor}'s server"
            raise RecordError(msg)
        try:
            proofs.read_multikey(key)
        except FederationError:
            msg = f"{group}'s proofKey is not a Multikey"
            raise RecordError(msg) from None
        groups[group] = key
    return groups


def origin(iri: str) -> tuple[str, str]:
    parts = urlsplit(iri)
    return parts.scheme, parts.netloc.lower()
