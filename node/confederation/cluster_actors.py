"""A replica's followable cluster actors: `cascadia-housing@node` announces the objects of
one cluster that the `cascadia` replica relays, so people follow only the issues they work on.

They are made when the replica is made, for the clusters its charter relays (or, when the
charter relays every cluster, for this node's own clusters), and on the first relayed object
of any other cluster. They follow no one: they only announce what their replica relays.
"""

from __future__ import annotations

from typing import Any

import structlog

from node.confederation.records import read_charter
from node.domain.actors import LocalActor, actor_url
from node.names import NAME_RE, RESERVED
from node.services.actors import ActorExistsError, create_actor
from node.storage import actors as store, confederations as cstore
from node.storage.db import Connection

log = structlog.get_logger(__name__)
MAX_PER_REPLICA = 64  # a member cannot make a replica grow actors without bound


def cluster_actor_name(replica_name: str, cluster: str) -> str | None:
    """`{replica}-{cluster}`, or None when that is not a valid local name (too long)."""
    name = f"{replica_name}-{cluster}"
    return name if NAME_RE.fullmatch(name) and name not in RESERVED else None


async def for_new_replica(
    conn: Connection, confederation: str, charter: dict[str, Any], replica: LocalActor
) -> None:
    """A new replica's cluster actors: the charter's clusters, or this node's own."""
    relayed = read_charter(charter).clusters
    await ensure(
        conn,
        confederation=confederation,
        replica=replica,
        clusters=list(relayed)
        or [a.name for a in await store.local_by_kind(conn, "cluster")],
    )


async def urls(conn: Any, base_url: str, confederation: str) -> dict[str, str]:
    """cluster -> the URL of the replica's actor for it."""
    found = {}
    for cluster, actor_id in sorted(
        (await cstore.cluster_actors(conn, confederation)).items()
    ):
        actor = await store.local_by_id(conn, actor_id)
        if actor is not None:
            found[cluster] = actor_url(base_url, actor)
    return found


async def ensure(
    conn: Connection,
    *,
    confederation: str,
    replica: LocalActor,
    clusters: list[str],
) -> dict[str, LocalActor]:
    """The replica's actors for `clusters`, made where missing (cluster -> actor). A name
    that is taken by another actor or too long leaves that cluster without one (logged)."""
    found: dict[str, LocalActor] = {}
    if not clusters:
        return found  # most relayed objects: no query on that path
    known = await cstore.cluster_actors(conn, confederation)
    for cluster in sorted(set(clusters)):
        actor_id = known.get(cluster)
        actor = None if actor_id is None else await store.local_by_id(conn, actor_id)
        if actor is None and len(known) + len(found) < MAX_PER_REPLICA:
            actor = await _make(conn, confederation, replica, cluster)
        if actor is not None:
            found[cluster] = actor
    return found


async def _make(
    conn: Connection, confederation: str, replica: LocalActor, cluster: str
) -> LocalActor | None:
    name = cluster_actor_name(replica.name, cluster)
    actor = None if name is None else await store.local_by_name(conn, name)
    if name is None or (actor is not None and actor.kind != "confederation_cluster"):
        log.warning(
            "confederation_cluster_unnamed", replica=replica.name, cluster=cluster
        )
        return None
    if actor is None:
        title = replica.display_name or replica.name
        try:
            actor = await create_actor(
                conn,
                kind="confederation_cluster",
                name=name,
                display_name=f"{title}: {cluster}",
                summary=f"What {title} relays in the #{cluster} cluster.",
            )
        except ActorExistsError:  # another worker made it a moment ago
            actor = await store.local_by_name(conn, name)
            if actor is None:
                return None
    await cstore.add_cluster_actor(conn, confederation, cluster, actor.id)
    log.info("confederation_cluster_made", actor=name, cluster=cluster)
    return actor
