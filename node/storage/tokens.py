"""Authoring API tokens: random, shown once, stored as SHA-256 only."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

import asyncpg

from node.domain.actors import LocalActor
from node.storage.actors import _LOCAL_COLUMNS, _local
from node.storage.db import Connection

PREFIX = "mn_"


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


async def create(
    pool: asyncpg.Pool[Any], *, local_actor_id: int, label: str
) -> tuple[int, str]:
    """A new token for a local actor: (its id, the token — the only time it is seen)."""
    token = PREFIX + secrets.token_urlsafe(32)
    token_id = await pool.fetchval(
        "INSERT INTO api_tokens (local_actor_id, label, token_hash) VALUES ($1, $2, $3) RETURNING id",
        local_actor_id,
        label,
        token_hash(token),
    )
    return int(token_id), token


async def live(pool: asyncpg.Pool[Any], token: str) -> tuple[int, LocalActor] | None:
    """(the token's id, the actor it acts as) for a live token (its use noted), or None."""
    row = await pool.fetchrow(
        f"""WITH used AS (
              UPDATE api_tokens SET last_used_at = now()
              WHERE token_hash = $1 AND revoked_at IS NULL RETURNING id, local_actor_id)
            SELECT (SELECT id FROM used) AS token_id, {_LOCAL_COLUMNS} FROM local_actors
             WHERE id = (SELECT local_actor_id FROM used)""",
        token_hash(token),
    )
    return None if row is None else (int(row["token_id"]), _local(row))


async def actor_for(pool: asyncpg.Pool[Any], token: str) -> LocalActor | None:
    """The actor a live token acts as (and note its use), or None."""
    row = await pool.fetchrow(
        f"""WITH used AS (
              UPDATE api_tokens SET last_used_at = now()
              WHERE token_hash = $1 AND revoked_at IS NULL RETURNING local_actor_id)
            SELECT {_LOCAL_COLUMNS} FROM local_actors WHERE id = (SELECT local_actor_id FROM used)""",
        token_hash(token),
    )
    return None if row is None else _local(row)


async def revoke(pool: asyncpg.Pool[Any] | Connection, token_id: int) -> bool:
    done = await pool.execute(
        "UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL",
        token_id,
    )
    return done.endswith(" 1")


async def listing(pool: asyncpg.Pool[Any]) -> list[asyncpg.Record]:
    return await pool.fetch(
        """SELECT t.id, a.name, t.label, t.created_at, t.last_used_at, t.revoked_at
           FROM api_tokens t JOIN local_actors a ON a.id = t.local_actor_id ORDER BY t.id"""
    )
