"""Sessions of the publishing UI: a random secret in an HttpOnly cookie, kept here only as
its SHA-256, each with its own CSRF token."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from node.domain.actors import LocalActor
from node.storage.actors import _LOCAL_COLUMNS, _local
from node.storage.tokens import token_hash


async def create(
    pool: Any, *, local_actor_id: int, token_id: int, expires_at: datetime
) -> tuple[str, str]:
    """A new session opened with token `token_id`: (the cookie's secret, seen only now;
    its CSRF token)."""
    secret, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    await pool.execute(
        """INSERT INTO web_sessions (secret_hash, local_actor_id, token_id, csrf, expires_at)
           VALUES ($1, $2, $3, $4, $5)""",
        token_hash(secret),
        local_actor_id,
        token_id,
        csrf,
        expires_at,
    )
    return secret, csrf


async def lookup(
    pool: Any, secret: str, now: datetime
) -> tuple[LocalActor, str] | None:
    """(the signed-in actor, the session's CSRF token), or None for an unknown or
    expired session, or one whose token was revoked."""
    row = await pool.fetchrow(
        f"""SELECT {", ".join("a." + c.strip() for c in _LOCAL_COLUMNS.split(","))}, s.csrf
            FROM web_sessions s JOIN local_actors a ON a.id = s.local_actor_id
            JOIN api_tokens t ON t.id = s.token_id AND t.revoked_at IS NULL
            WHERE s.secret_hash = $1 AND s.expires_at > $2""",
        token_hash(secret),
        now,
    )
    return None if row is None else (_local(row), row["csrf"])


async def end(pool: Any, secret: str, now: datetime) -> None:
    """Sign out, and forget every expired session."""
    await pool.execute(
        "DELETE FROM web_sessions WHERE secret_hash = $1 OR expires_at <= $2",
        token_hash(secret),
        now,
    )


async def end_for_token(pool: Any, token_id: int) -> int:
    """End every session opened with token `token_id`; how many."""
    done = await pool.execute("DELETE FROM web_sessions WHERE token_id = $1", token_id)
    return int(done.split()[-1])
