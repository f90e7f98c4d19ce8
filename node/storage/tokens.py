"""API tokens: random, shown once, stored as SHA-256 only. A token belongs to an account
(with a scope and an optional expiry) and acts for one of its groups; a group's shared
token from before accounts (account_id NULL) acts as the group's admin until the group
is claimed."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Any

import asyncpg

from node.domain.access import Acting, Role, capped
from node.storage.actors import _LOCAL_COLUMNS, _local
from node.storage.db import Connection

PREFIX = "mn_"
ACTOR_COLUMNS = ", ".join("a." + c.strip() for c in _LOCAL_COLUMNS.split(","))


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


async def create(
    pool: asyncpg.Pool[Any] | Connection,
    *,
    local_actor_id: int,
    label: str,
    account_id: int | None = None,
    scope: str = "write",
    expires_at: datetime | None = None,
) -> tuple[int, str]:
    """A new token: (its id, the token — the only time it is seen)."""
    token = PREFIX + secrets.token_urlsafe(32)
    token_id = await pool.fetchval(
        """INSERT INTO api_tokens (local_actor_id, label, token_hash, account_id, scope, expires_at)
           VALUES ($1, $2, $3, $4, $5, $6) RETURNING id""",
        local_actor_id,
        label,
        token_hash(token),
        account_id,
        scope,
        expires_at,
    )
    return int(token_id), token


def acting(row: asyncpg.Record, *, via: str) -> Acting:
    """The principal of a token or session row (its actor's columns, the account's, the
    role it holds now)."""
    actor = None if row["id"] is None else _local(row)
    if row["account_id"] is None:
        role: Role | None = Role.ADMIN if actor is not None else None
        return Acting(actor=actor, role=role, via=via, token_id=row["token_id"])
    role = None if row["role"] is None else Role(row["role"])
    if role is not None and row["scope"] is not None:
        role = capped(role, row["scope"])
    return Acting(
        actor=actor if role is not None else None,
        role=role,
        via=via,
        account_id=row["account_id"],
        account_name=row["account_name"],
        operator=row["operator"],
        token_id=row["token_id"],
    )


async def principal(
    pool: asyncpg.Pool[Any] | Connection, token: str, now: datetime
) -> Acting | None:
    """Who a live token acts as (its use noted): None for an unknown, revoked or expired
    token, or one whose account is disabled or holds no role in its group any more."""
    row = await pool.fetchrow(
        f"""WITH used AS (
              UPDATE api_tokens t SET last_used_at = $2
               WHERE token_hash = $1 AND revoked_at IS NULL
                 AND (expires_at IS NULL OR expires_at > $2)
                 AND (account_id IS NULL OR EXISTS (
                       SELECT 1 FROM accounts c WHERE c.id = t.account_id
                          AND c.disabled_at IS NULL))
              RETURNING id, local_actor_id, account_id, scope)
            SELECT used.id AS token_id, used.account_id, used.scope, c.name AS account_name,
                   c.operator, r.role, {ACTOR_COLUMNS}
              FROM used JOIN local_actors a ON a.id = used.local_actor_id
              LEFT JOIN accounts c ON c.id = used.account_id
              LEFT JOIN group_roles r ON r.account_id = used.account_id
                                     AND r.local_actor_id = used.local_actor_id""",
        token_hash(token),
        now,
    )
    if row is None:
        return None
    found = acting(row, via="token" if row["account_id"] else "group_token")
    return found if found.role is not None else None


async def shared(
    pool: asyncpg.Pool[Any] | Connection, token: str, now: datetime
) -> Acting | None:
    """A live shared (group) token's principal, or None (also for an account's token)."""
    found = await principal(pool, token, now)
    return found if found is not None and found.shared else None


async def revoke(pool: asyncpg.Pool[Any] | Connection, token_id: int) -> bool:
    done = await pool.execute(
        "UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL",
        token_id,
    )
    return done.endswith(" 1")


async def revoke_shared(
    pool: asyncpg.Pool[Any] | Connection, local_actor_id: int
) -> int:
    """End a group's shared tokens (it is claimed by an account); how many."""
    done = await pool.execute(
        """UPDATE api_tokens SET revoked_at = now()
           WHERE local_actor_id = $1 AND account_id IS NULL AND revoked_at IS NULL""",
        local_actor_id,
    )
    return int(done.split()[-1])


async def of_account(
    pool: asyncpg.Pool[Any] | Connection, account_id: int
) -> list[asyncpg.Record]:
    return await pool.fetch(
        """SELECT t.id, a.name, t.label, t.scope, t.created_at, t.last_used_at,
                  t.expires_at, t.revoked_at
           FROM api_tokens t JOIN local_actors a ON a.id = t.local_actor_id
           WHERE t.account_id = $1 ORDER BY t.id""",
        account_id,
    )


async def owner(pool: asyncpg.Pool[Any] | Connection, token_id: int) -> int | None:
    """The account a token belongs to (None: a shared token, or no such token)."""
    found = await pool.fetchval(
        "SELECT account_id FROM api_tokens WHERE id = $1", token_id
    )
    return None if found is None else int(found)


async def listing(pool: asyncpg.Pool[Any]) -> list[asyncpg.Record]:
    return await pool.fetch(
        """SELECT t.id, a.name, t.label, t.created_at, t.last_used_at, t.revoked_at,
                  t.scope, t.expires_at, c.name AS account
           FROM api_tokens t JOIN local_actors a ON a.id = t.local_actor_id
           LEFT JOIN accounts c ON c.id = t.account_id ORDER BY t.id"""
    )
