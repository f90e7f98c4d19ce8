"""Key rotation: a local actor gets a new key pair, its followers get an `Update` of the actor,
and the old key keeps verifying for a grace period (requests signed just before the rotation
are still in flight), or not at all when the key leaked."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import structlog

from federation.vocab.actors import key_id
from node.domain.actors import actor_url
from node.services.actors import new_keypair
from node.services.publish import send_actor_update
from node.storage import actors as store

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Rotation:
    old_key_id: str
    new_key_id: str
    old_valid_until: datetime
    deliveries: int


async def rotate_key(
    pool: asyncpg.Pool[Any],
    *,
    base_url: str,
    name: str,
    grace: timedelta,
    now: datetime,
) -> Rotation:
    """Give local actor `name` a new key and send an Update of the actor to its followers.

    Raises:
        LookupError: no such local actor.
    """
    private, public = await new_keypair()
    async with pool.acquire() as conn, conn.transaction():
        await store.lock_local(conn, name)
        actor = await store.local_by_name(conn, name)
        if actor is None:
            msg = f"no local actor {name!r}"
            raise LookupError(msg)
        me = actor_url(base_url, actor)
        old_key_id = key_id(me, actor.key_serial)
        valid_until = now + grace
        await store.retire_key(
            conn,
            key_id=old_key_id,
            local_actor_id=actor.id,
            public_key_pem=actor.public_key_pem,
            retired_at=now,
            valid_until=valid_until,
        )
        await store.replace_key(conn, actor.id, private_pem=private, public_pem=public)
        rotated = dataclasses.replace(
            actor, public_key_pem=public, key_serial=actor.key_serial + 1
        )
        queued = await send_actor_update(
            conn, base_url=base_url, actor=rotated, now=now
        )
    new_key_id = key_id(me, rotated.key_serial)
    log.info(
        "key_rotated",
        actor=me,
        old_key_id=old_key_id,
        new_key_id=new_key_id,
        old_valid_until=valid_until.isoformat(),
        deliveries=queued,
    )
    return Rotation(old_key_id, new_key_id, valid_until, queued)
