"""The AS2 shapes that travel between calls, as TypedDicts (JSON at the boundary, typed
inside): what we build and send, and what we accept from others. `total=False` where
peers may leave properties out; the values of what we did not build are untrusted and
are checked where they are read."""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict

# "@context" is not an identifier, hence the functional form.
Activity = TypedDict(
    "Activity",
    {
        "@context": NotRequired[Any],
        "id": str,
        "type": str,
        "actor": str,
        "object": NotRequired[Any],
        "target": NotRequired[Any],
        "to": NotRequired[list[str]],
        "cc": NotRequired[list[str]],
        "published": NotRequired[str | None],
    },
)


class Tombstone(TypedDict):
    id: str
    type: Literal["Tombstone"]
    deleted: NotRequired[str]


class PublicKey(TypedDict):
    id: str
    owner: str
    publicKeyPem: str


class Endpoints(TypedDict, total=False):
    sharedInbox: str


ActorDocument = TypedDict(
    "ActorDocument",
    {
        "@context": Any,
        "id": str,
        "type": str,
        "preferredUsername": str,
        "name": str,
        "summary": str,
        "inbox": str,
        "outbox": str,
        "followers": str,
        "following": str,
        "url": str,
        "publicKey": PublicKey,
        "endpoints": Endpoints,
        "manuallyApprovesFollowers": bool,
        "discoverable": bool,
        "indexable": bool,
        "alsoKnownAs": list[str],
        "icon": dict[str, Any],
        "assertionMethod": list[dict[str, Any]],
    },
    total=False,
)
