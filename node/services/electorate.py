"""Who may vote on a local proposal (its `electorate`), and how many may: anyone; the
group's accepted followers; a list of actors; or, for an assembly, groups — this node's
own and those on its confederations' member nodes, one vote per group, cast by the group's
own actor (its organisers, through the API)."""

from __future__ import annotations

from typing import Any

from federation.origin import authority
from node.domain.actors import local_name
from node.storage import actors as store, blocks, follows, polls as poll_store
from node.storage.db import Connection

ELECTORATES = ("anyone", "followers", "list", "groups")
LABELS = {
    "anyone": "anyone on the fediverse",
    "followers": "the group's followers",
    "list": "the people and groups named by the organisers",
    "groups": "groups of this node and of its confederations, one vote each",
}


async def refusal(
    conn: Connection,
    *,
    base_url: str,
    owner_id: int,
    fields: dict[str, Any],
    voter: str,
) -> str | None:
    """Why `voter` may not vote on this proposal, or None when they may."""
    if await blocks.is_blocked(conn, owner_id, voter):
        return "blocked by the group"
    kind = fields.get("electorate", "anyone")
    if kind == "followers" and not await follows.is_accepted_follower(
        conn, owner_id, voter
    ):
        return "not an accepted follower of the group"
    if kind == "list" and voter not in fields.get("voters", []):
        return "not on the list of voters"
    if kind == "groups":
        name = local_name(base_url, voter)
        if name is not None:
            local = await store.local_by_name(conn, name)
            return (
                None if local is not None and local.kind == "group" else "not a group"
            )
        doc = await store.remote_actor(conn, voter)
        if doc is None or doc.get("type") != "Group" or doc.get("kind") != "group":
            return "not a group"
        if not await poll_store.on_member_node(conn, authority(voter)):
            return "not a group of a member node"
    return None


async def eligible(
    conn: Connection, *, owner_id: int, fields: dict[str, Any]
) -> int | None:
    """How many may vote (None: anyone)."""
    kind = fields.get("electorate", "anyone")
    if kind == "followers":
        return await follows.count_followers(conn, owner_id)
    if kind == "list":
        return len(fields.get("voters", []))
    if kind == "groups":
        local = len(await store.local_by_kind(conn, "group"))
        return local + await poll_store.count_member_groups(conn)
    return None
