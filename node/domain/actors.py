"""Local actors: kinds, their AS2 types and their addresses (pure)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from html import escape
from urllib.parse import urlsplit

from federation.vocab.actors import ActorInfo

KIND_TYPES = {
    "instance": "Application",
    "node": "Group",
    "group": "Group",
    "cluster": "Group",
    "confederation": "Group",
    "confederation_cluster": "Group",
    "member": "Person",
}
INSTANCE_NAME = "actor"  # served at B/actor; WebFinger acct:actor@host (reserved name)


@dataclass(frozen=True, slots=True)
class LocalActor:
    id: int
    name: str
    kind: str
    display_name: str
    summary: str
    manually_approves_followers: bool
    discoverable: bool
    icon_url: str | None
    public_key_pem: str
    created_at: datetime
    key_serial: int = 1
    private_key_pem: str = field(repr=False, default="")
    proof_public: str | None = None  # Ed25519 Multikey for FEP-8b32 proofs
    image_url: str | None = None  # the banner (an upload of ours), beside `icon_url`


def actor_url(base_url: str, actor: LocalActor) -> str:
    if actor.kind == "instance":
        return f"{base_url}/actor"
    return f"{base_url}/actors/{actor.name}"


def local_name(base_url: str, url: str) -> str | None:
    """The local actor name one of our actor URLs names (`B/actor`, `B/actors/{name}`;
    query and fragment ignored), or None for any other URL."""
    if not url.startswith(base_url + "/"):
        return None
    path = urlsplit(url).path
    if path == "/actor":
        return INSTANCE_NAME
    name = path.removeprefix("/actors/")
    return name if path.startswith("/actors/") and name and "/" not in name else None


def profile_url(base_url: str, actor: LocalActor) -> str:
    """The HTML page for people (same URL, content-negotiated)."""
    return actor_url(base_url, actor)


def to_actor_info(
    base_url: str, actor: LocalActor, graced_keys: tuple[tuple[str, str], ...] = ()
) -> ActorInfo:
    """LocalActor -> the federation-level description of its document."""
    return ActorInfo(
        id=actor_url(base_url, actor),
        type=KIND_TYPES[actor.kind],
        username=actor.name,
        name=actor.display_name,
        # AS2 `summary` is HTML: the operator's plain text, escaped, as paragraphs
        summary="".join(
            f"<p>{escape(part.strip())}</p>"
            for part in actor.summary.split("\n\n")
            if part.strip()
        ),
        url=profile_url(base_url, actor),
        public_key_pem=actor.public_key_pem,
        published=actor.created_at,
        shared_inbox=f"{base_url}/inbox",
        manually_approves_followers=actor.manually_approves_followers,
        discoverable=actor.discoverable and actor.kind != "instance",
        icon_url=actor.icon_url,
        image_url=actor.image_url,
        key_serial=actor.key_serial,
        graced_keys=graced_keys,
        proof_multikey=actor.proof_public,
    )


class FollowState(StrEnum):
    """Where a follow stands (of a remote follower, or of a local actor following out)."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
