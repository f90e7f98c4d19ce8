"""Actor documents (Group, Person, Application) with everything Mastodon reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from federation.origin import same_origin

AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
SECURITY_CONTEXT = "https://w3id.org/security/v1"
ACTOR_CONTEXT: list[Any] = [
    AS_CONTEXT,
    SECURITY_CONTEXT,
    {
        "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
        "toot": "http://joinmastodon.org/ns#",
        "discoverable": "toot:discoverable",
        "indexable": "toot:indexable",
    },
]
MULTIKEY_CONTEXT = "https://w3id.org/security/multikey/v1"
# The multikey context does not define assertionMethod (the DID context does): without it a
# strict JSON-LD reader (Fedify) drops the Ed25519 key and cannot verify FEP-8b32 proofs.
ASSERTION_TERMS = {
    "assertionMethod": {
        "@id": "https://w3id.org/security#assertionMethod",
        "@type": "@id",
        "@container": "@set",
    }
}
ACTOR_TYPES = frozenset({"Application", "Group", "Organization", "Person", "Service"})


@dataclass(frozen=True, slots=True)
class ActorInfo:
    """What a local actor document is built from."""

    id: str
    type: str
    username: str
    name: str
    summary: str
    url: str
    public_key_pem: str
    published: datetime
    shared_inbox: str
    manually_approves_followers: bool = False
    discoverable: bool = True
    icon_url: str | None = None
    image_url: str | None = None  # the header/banner
    key_serial: int = 1
    # rotated-out keys still verifiable for a grace period: (key id, PEM)
    graced_keys: tuple[tuple[str, str], ...] = ()
    proof_multikey: str | None = None  # FEP-521a Multikey (Ed25519) for FEP-8b32 proofs
    extra: tuple[
        tuple[str, Any], ...
    ] = ()  # more properties (e.g. a replica's charter)


def key_id(actor_id: str, serial: int = 1) -> str:
    """The id of an actor's key number `serial` (1 is Mastodon's usual `#main-key`)."""
    return f"{actor_id}#main-key" if serial == 1 else f"{actor_id}#key-{serial}"


def proof_key_id(actor_id: str) -> str:
    """The id of an actor's Ed25519 assertion key (FEP-521a)."""
    return f"{actor_id}#ed25519-key"


def build_actor(info: ActorInfo, *, full: bool = True) -> dict[str, Any]:
    """The actor document; `full=False` gives the bare technical fields (unsigned fetches)."""
    doc: dict[str, Any] = {
        "@context": ACTOR_CONTEXT,
        "id": info.id,
        "type": info.type,
        "preferredUsername": info.username,
        "inbox": f"{info.id}/inbox",
        "outbox": f"{info.id}/outbox",
        "followers": f"{info.id}/followers",
        "following": f"{info.id}/following",
        "endpoints": {"sharedInbox": info.shared_inbox},
        "publicKey": _public_keys(info),
    }
    if info.proof_multikey:
        doc["@context"] = [*ACTOR_CONTEXT, MULTIKEY_CONTEXT, ASSERTION_TERMS]
        doc["assertionMethod"] = [
            {
                "id": proof_key_id(info.id),
                "type": "Multikey",
                "controller": info.id,
                "publicKeyMultibase": info.proof_multikey,
            }
        ]
    if not full:
        return doc
    doc.update(
        {
            "name": info.name or info.username,
            "summary": info.summary,
            "url": info.url,
            "manuallyApprovesFollowers": info.manually_approves_followers,
            "discoverable": info.discoverable,
            "indexable": info.discoverable,
            "published": info.published.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
    )
    # Mastodon reads `icon` as the avatar and `image` as the header; mediaType from the URL
    for key, url in (("icon", info.icon_url), ("image", info.image_url)):
        if url:
            picture = {"type": "Image", "url": url}
            media_type = _IMAGE_TYPES.get(url.rpartition(".")[2].lower())
            if media_type:
                picture["mediaType"] = media_type
            doc[key] = picture
    doc.update(info.extra)
    return doc


_IMAGE_TYPES = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png"}


def _public_keys(info: ActorInfo) -> dict[str, Any] | list[dict[str, Any]]:
    """The current key; during a rotation's grace period a list with the current key first
    (servers that read one key take the first) and the rotated-out keys after it."""
    current = {
        "id": key_id(info.id, info.key_serial),
        "owner": info.id,
        "publicKeyPem": info.public_key_pem,
    }
    if not info.graced_keys:
        return current
    graced = [
        {"id": kid, "owner": info.id, "publicKeyPem": pem}
        for kid, pem in info.graced_keys
    ]
    return [current, *graced]


@dataclass(frozen=True, slots=True)
class RemoteKey:
    """A public key read from a remote actor (or key) document."""

    key_id: str
    owner: str
    public_key_pem: str


def read_public_key(document: dict[str, Any], key_id_wanted: str) -> RemoteKey | None:
    """Find `key_id_wanted` in an actor document's `publicKey` (object or list), or a key document."""
    candidates: list[Any] = []
    if document.get("type") in ACTOR_TYPES or "inbox" in document:
        pk = document.get("publicKey")
        candidates = pk if isinstance(pk, list) else [pk]
    else:
        candidates = [document]
    for key in candidates:
        if (
            isinstance(key, dict)
            and key.get("id") == key_id_wanted
            and isinstance(key.get("owner"), str)
            and isinstance(key.get("publicKeyPem"), str)
        ):
            return RemoteKey(key_id_wanted, key["owner"], key["publicKeyPem"])
    return None


def owned_keys(actor: dict[str, Any]) -> list[tuple[str, str]]:
    """(key id, PEM) of every key an actor document lists as its own, on its own origin."""
    raw = actor.get("publicKey")
    return [
        (key["id"], key["publicKeyPem"])
        for key in (raw if isinstance(raw, list) else [raw])
        if isinstance(key, dict)
        and key.get("owner") == actor["id"]
        and isinstance(key.get("id"), str)
        and isinstance(key.get("publicKeyPem"), str)
        and same_origin(key["id"], actor["id"])
    ]
