"""NodeInfo 2.1 and 2.0 (many servers, Takahē among them, read only 2.0) and the
/.well-known/nodeinfo index (with the FEP-2677 instance actor link)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SCHEMA_21 = "http://nodeinfo.diaspora.software/ns/schema/2.1"
SCHEMA_20 = "http://nodeinfo.diaspora.software/ns/schema/2.0"
APPLICATION_REL = "https://www.w3.org/ns/activitystreams#Application"


@dataclass(frozen=True, slots=True)
class Usage:
    local_actors: int
    local_posts: int


def build_index(base_url: str, instance_actor_url: str) -> dict[str, Any]:
    return {
        "links": [
            {"rel": SCHEMA_21, "href": f"{base_url}/nodeinfo/2.1"},
            {"rel": SCHEMA_20, "href": f"{base_url}/nodeinfo/2.0"},
            {"rel": APPLICATION_REL, "href": instance_actor_url},
        ]
    }


def build_nodeinfo(
    *,
    software: str,
    version: str,
    usage: Usage,
    metadata: dict[str, Any],
    schema: str = "2.1",
) -> dict[str, Any]:
    """The document of NodeInfo `schema` 2.1 or 2.0 (2.0 has no software repository)."""
    about: dict[str, Any] = {"name": software, "version": version}
    if schema == "2.1":
        about["repository"] = "https://github.com/movement-node/movement-node"
    return {
        "version": schema,
        "software": about,
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": ["atom1.0"]},
        "openRegistrations": False,
        "usage": {
            "users": {"total": usage.local_actors},
            "localPosts": usage.local_posts,
        },
        "metadata": metadata,
    }
