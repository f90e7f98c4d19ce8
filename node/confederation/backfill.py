"""What a node brings into a confederation it founds or joins: its recent public movement
objects (the last BACKFILL_DAYS days, at most BACKFILL_LIMIT), so a confederation's feed
does not begin empty and a new member's assembly is not invisible until it next publishes.

Two paths, one per side of the mesh. When this node is admitted (`admitted`), its own new
replica relays them (the same `relay` as for a new object: once per replica), and the other
members' replicas that already follow our member actor get them as below. When another
member's replica follows our member actor later (the mesh), our member actor sends
that replica's inbox alone (a delivery, not a publication) the Announce{Create} of each (`to_member_replica`): its node
relays them as it relays any member's Announce, once, with no fetch back to us. Only public
objects go, only to a replica of a confederation this node is admitted to.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import structlog

from federation.delivery.plan import Recipient
from federation.vocab import activities
from node.confederation.relay import relay
from node.domain.actors import LocalActor, actor_url
from node.services.publish import enqueue
from node.storage import confederations as cstore
from node.storage.db import Connection

log = structlog.get_logger(__name__)
BACKFILL_DAYS = 90
BACKFILL_LIMIT = 50


async def admitted(
    conn: Connection,
    *,
    base_url: str,
    member: LocalActor,
    confederation: str,
    now: datetime,
) -> int:
    """This node was admitted to `confederation` as `member`: its recent objects go to
    its own replica and to the other members' replicas already following `member`."""
    queued = await into_own_replica(
        conn, base_url=base_url, member_url=actor_url(base_url, member), now=now
    )
    for row in await cstore.replicas_following(conn, member.id, confederation):
        queued += await to_member_replica(
            conn,
            base_url=base_url,
            member=member,
            follower_doc=dict(row["document"]),
            inbox=row["inbox"],
            now=now,
        )
    return queued


async def into_own_replica(
    conn: Connection, *, base_url: str, member_url: str, now: datetime
) -> int:
    """The node's recent public objects, relayed by its replicas that count `member_url`
    as a member; returns the deliveries queued."""
    queued = 0
    since = now - timedelta(days=BACKFILL_DAYS)
    for row in await cstore.recent_public_movement(conn, since, BACKFILL_LIMIT):
        queued += await relay(
            conn,
            base_url=base_url,
            object_id=row["id"],
            kind=row["kind"],
            clusters=list(row["clusters"]),
            via=member_url,
        )
    log.info("confederation_backfilled", member=member_url, deliveries=queued)
    return queued


async def to_member_replica(
    conn: Connection,
    *,
    base_url: str,
    member: LocalActor,
    follower_doc: dict[str, Any],
    inbox: str,
    now: datetime,
) -> int:
    """When `follower_doc` is another member's replica of a confederation in which
    `member` is this node's admitted member, send it the recent public objects; returns
    the deliveries queued (0 for any other follower)."""
    confederation = follower_doc.get("confederation")
    if not isinstance(confederation, str) or not await cstore.admitted_as(
        conn, confederation, member.id, actor_url(base_url, member)
    ):
        return 0
    queued = 0
    since = now - timedelta(days=BACKFILL_DAYS)
    for row in await cstore.recent_public_movement(conn, since, BACKFILL_LIMIT):
        body = dict(row["body"])
        create = activities.create(
            id=f"{row['id']}/activity", actor=body["attributedTo"], obj=body
        )
        me = actor_url(base_url, member)
        boost = activities.announce(
            id=f"{me}/announces/{uuid.uuid4()}",
            actor=me,
            obj=create,
            to=[activities.PUBLIC],
            cc=[f"{me}/followers"],
        )
        # a delivery to one inbox, not a publication: nothing goes into the outbox
        queued += await enqueue(
            conn,
            base_url=base_url,
            signer=member,
            activity=boost,
            to=[Recipient(inbox, inbox)],
        )
    log.info(
        "confederation_backfill_sent",
        replica=follower_doc.get("id"),
        confederation=confederation,
        deliveries=queued,
    )
    return queued
