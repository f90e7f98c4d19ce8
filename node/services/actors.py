"""Local actors: create them (with their own RSA-2048 key), find them, sign as them."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime
from typing import Any

import asyncpg
import structlog
from cryptography.hazmat.primitives.asymmetric import ed25519

from federation import proofs
from federation.sig.keys import generate_rsa, load_private, private_pem, public_pem
from federation.sig.knock import SigningKey
from federation.vocab.actors import key_id, proof_key_id
from node.config import Settings
from node.domain.actors import INSTANCE_NAME, LocalActor, actor_url
from node.names import check_cluster_name, check_name
from node.storage import actors as store

log = structlog.get_logger(__name__)
USER_KINDS = ("group", "cluster", "confederation", "confederation_cluster", "member")


class ActorExistsError(Exception):
    """The name is taken (names are shared by every kind of local actor)."""


async def new_keypair() -> tuple[str, str]:
    key = await asyncio.to_thread(generate_rsa)
    return private_pem(key), public_pem(key.public_key())


def new_proof_key() -> tuple[str, str]:
    """A fresh Ed25519 key for FEP-8b32 proofs: (private PEM, public Multikey)."""
    key = ed25519.Ed25519PrivateKey.generate()
    return private_pem(key), proofs.multikey(key.public_key())


async def ensure_proof_keys(pool: asyncpg.Pool[Any]) -> None:
    """Give an Ed25519 proof key to every local actor made before proofs existed."""
    for local_actor_id in await store.without_proof_key(pool):
        await store.set_proof_key(pool, local_actor_id, *new_proof_key())


async def sign_document(
    pool: Any,
    *,
    base_url: str,
    actor: LocalActor,
    document: dict[str, Any],
    now: datetime,
) -> dict[str, Any]:
    """`document` with an FEP-8b32 proof by `actor`'s Ed25519 key."""
    pem = await store.proof_key_pem(pool, actor.id)
    if pem is None:
        msg = f"local actor {actor.name!r} has no proof key"
        raise LookupError(msg)
    key = load_private(pem)
    if not isinstance(key, ed25519.Ed25519PrivateKey):
        msg = f"the proof key of {actor.name!r} is not Ed25519"
        raise TypeError(msg)
    return proofs.sign(
        document,
        key,
        verification_method=proof_key_id(actor_url(base_url, actor)),
        created=now,
    )


async def create_actor(
    pool: store.Pool,
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
    proof_private, proof_public = new_proof_key()
    actor = await store.insert_local(
        pool,
        name=name,
        kind=kind,
        display_name=display_name,
        summary=summary,
        manually_approves_followers=manually_approves_followers,
        private_key_pem=private,
        public_key_pem=public,
        proof_key_pem=proof_private,
        proof_public=proof_public,
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
    await ensure_proof_keys(pool)


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
