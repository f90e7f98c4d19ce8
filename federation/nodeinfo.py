"""NodeInfo 2.1 and its /.well-known/nodeinfo index (with the FEP-2677 instance actor link)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SCHEMA_21 = "http://nodeinfo.diaspora.software/ns/schema/2.1"
APPLICATION_REL = "https://www.w3.org/ns/activitystreams#Application"


@dataclass(frozen=True, slots=True)
class Usage:
    local_actors: int
    local_posts: int


def build_index(base_url: str, instance_actor_url: str) -> dict[str, Any]:
    return {
        "links": [
            {"rel": SCHEMA_21, "href": f"{base_url}/nodeinfo/2.1"},
            {"rel": APPLICATION_REL, "href": instance_actor_url},
        ]
    }


def build_nodeinfo(
    *, software: str, version: str, usage: Usage, metadata: dict[str, Any]
) -> dict[str, Any]:
    return {
        "version": "2.1",
        "software": {
            "name": software,
            "version": version,
            "repository": "https://github.com/movement-node/movement-node",
        },
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": ["atom1.0"]},
        "openRegistrations": False,
        "usage": {
            "users": {"total": usage.local_actors},
            "localPosts": usage.local_posts,
        },
        "metadata": metadata,
    }
