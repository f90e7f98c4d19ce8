"""Local actors: create them (with their own RSA-2048 key), find them, sign as them."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import asyncpg
import structlog

from federation.sig.keys import generate_rsa, load_private, private_pem, public_pem
from federation.sig.knock import SigningKey
from federation.vocab.actors import key_id
from node.config import Settings
from node.domain.actors import INSTANCE_NAME, LocalActor, actor_url
from node.names import check_cluster_name, check_name
from node.storage import actors as store

log = structlog.get_logger(__name__)
USER_KINDS = ("group", "cluster", "confederation", "member")


class ActorExistsError(Exception):
    """The name is taken (names are shared by every kind of local actor)."""


async def new_keypair() -> tuple[str, str]:
    key = await asyncio.to_thread(generate_rsa)
    return private_pem(key), public_pem(key.public_key())


async def create_actor(
    pool: asyncpg.Pool[Any],
    *,
    kind: str,
    name: str,
    display_name: str = "",
    summary: str = "",
    manually_approves_followers: bool = False,
    system: bool = False,
) -> LocalActor:
    """Create a local actor with a fresh key pair.

    Raises:
        InvalidNameError: the name breaks the naming rule (or is reserved).
        ActorExistsError: the name is taken.
    """
    if not system:
        check_name(name)
        if kind == "cluster":
            check_cluster_name(name)
        if kind not in USER_KINDS:
            msg = f"unknown actor kind {kind!r}"
            raise ValueError(msg)
    private, public = await new_keypair()
    actor = await store.insert_local(
        pool,
        name=name,
        kind=kind,
        display_name=display_name,
        summary=summary,
        manually_approves_followers=manually_approves_followers,
        private_key_pem=private,
        public_key_pem=public,
    )
    if actor is None:
        msg = f"the name {name!r} is already taken"
        raise ActorExistsError(msg)
    log.info("actor_created", name=name, kind=kind)
    return actor


async def ensure_system_actors(pool: asyncpg.Pool[Any], settings: Settings) -> None:
    """Create the instance actor and the node actor on first start."""
    if await store.local_by_name(pool, INSTANCE_NAME) is None:
        with contextlib.suppress(ActorExistsError):  # another process created it first
            await create_actor(
                pool,
                kind="instance",
                name=INSTANCE_NAME,
                display_name=settings.host_name,
                system=True,
            )
    if await store.local_by_name(pool, settings.node_name) is None:
        with contextlib.suppress(ActorExistsError):
            await create_actor(
                pool,
                kind="node",
                name=settings.node_name,
                display_name=settings.place or settings.host_name,
                summary=f"The movement node for {settings.place}."
                if settings.place
                else "",
                system=True,
            )


async def signing_key(pool: asyncpg.Pool[Any], base_url: str, name: str) -> SigningKey:
    """The key that signs requests on behalf of local actor `name`."""
    actor = await store.local_with_private_key(pool, name)
    if actor is None:
        msg = f"no local actor {name!r}"
        raise LookupError(msg)
    return SigningKey(
        key_id(actor_url(base_url, actor), actor.key_serial),
        load_private(actor.private_key_pem),
    )
