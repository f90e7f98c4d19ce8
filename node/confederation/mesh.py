"""The replicas' mesh: each replica follows every member (so the member's public objects
reach it) and stops when the member goes; and who a confederation's records go to."""

from __future__ import annotations

from typing import Any

import structlog

from federation.delivery.plan import Recipient, recipient_of
from federation.errors import FederationError
from federation.vocab import activities
from node.domain.actors import LocalActor, actor_url, local_name
from node.services.follow import follow_out, new_activity_id
from node.services.publish import enqueue
from node.services.remote import RemoteActors
from node.storage import actors as store, follows
from node.storage.db import Connection

log = structlog.get_logger(__name__)


async def recipients(
    conn: Any, remote: RemoteActors, base_url: str, actors: set[str]
) -> list[Recipient]:
    found: list[Recipient] = []
    for uri in sorted(actors):
        if local_name(base_url, uri) is not None:
            continue  # this node: it has the record already
        doc = await store.remote_actor(conn, uri)
        if doc is None:
            try:
                doc = await remote.fetch_actor(uri)
            except FederationError as exc:
                log.warning(
                    "confederation_member_unreachable", member=uri, error=str(exc)
                )
                continue
        found.append(recipient_of(doc))
    return found


async def follow(
    conn: Connection,
    base_url: str,
    remote: RemoteActors,
    replica: LocalActor,
    uri: str,
) -> None:
    """The replica follows a member, so the member's public objects reach it."""
    if local_name(base_url, uri) is not None:
        return  # a member on this node: its objects are relayed when published
    if await follows.follows_already(conn, local_actor_id=replica.id, target=uri):
        return
    found = await recipients(conn, remote, base_url, {uri})
    if found:
        await follow_out(
            conn,
            base_url=base_url,
            local=replica,
            target=uri,
            recipient=found[0],
        )


async def unfollow(
    conn: Connection,
    base_url: str,
    remote: RemoteActors,
    replica: LocalActor,
    uri: str,
) -> None:
    follow_id = await follows.remove_following(
        conn, local_actor_id=replica.id, target=uri
    )
    if follow_id is None:
        return
    me = actor_url(base_url, replica)
    undo = activities.undo(
        id=new_activity_id(base_url, replica),
        actor=me,
        obj=activities.follow(id=follow_id, actor=me, target=uri),
    )
    await enqueue(
        conn,
        base_url=base_url,
        signer=replica,
        activity=undo,
        to=await recipients(conn, remote, base_url, {uri}),
    )
