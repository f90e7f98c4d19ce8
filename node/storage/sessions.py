"""Sessions of the publishing UI: a random secret in an HttpOnly cookie, kept here only as
its SHA-256, each with its own CSRF token. A session is a person's (account_id) or was
opened with a group's shared token (token_id); it acts for one group at a time."""

from __future__ import annotations

import secrets
from datetime import datetime

import asyncpg

from node.domain.access import Acting
from node.storage.actors import Pool
from node.storage.tokens import ACTOR_COLUMNS, acting, token_hash


async def create(
    pool: Pool,
    *,
    local_actor_id: int | None,
    expires_at: datetime,
    token_id: int | None = None,
    account_id: int | None = None,
) -> tuple[str, str]:
    """A new session: (the cookie's secret, seen only now; its CSRF token)."""
    secret, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    await pool.execute(
        """INSERT INTO web_sessions (secret_hash, local_actor_id, token_id, account_id,
                                     csrf, expires_at)
           VALUES ($1, $2, $3, $4, $5, $6)""",
        token_hash(secret),
        local_actor_id,
        token_id,
        account_id,
        csrf,
        expires_at,
    )
    return secret, csrf


async def lookup(pool: Pool, secret: str, now: datetime) -> tuple[Acting, str] | None:
    """(who the session acts as, its CSRF token), or None for an unknown or expired
    session, one whose token was revoked or whose account is disabled."""
    row = await pool.fetchrow(
        f"""WITH seen AS (
              UPDATE web_sessions SET last_seen_at = $2::timestamptz
               WHERE secret_hash = $1
                 AND (last_seen_at IS NULL OR last_seen_at < $2::timestamptz - interval '1 minute'))
            SELECT s.csrf, s.token_id, s.account_id, NULL::text AS scope,
                   c.name AS account_name, c.operator, r.role, {ACTOR_COLUMNS}
            FROM web_sessions s
            LEFT JOIN local_actors a ON a.id = s.local_actor_id
            LEFT JOIN api_tokens t ON t.id = s.token_id
            LEFT JOIN accounts c ON c.id = s.account_id
            LEFT JOIN group_roles r ON r.account_id = s.account_id
                                   AND r.local_actor_id = s.local_actor_id
            WHERE s.secret_hash = $1 AND s.expires_at > $2
              AND (s.token_id IS NULL OR t.revoked_at IS NULL)
              AND (s.account_id IS NULL OR c.disabled_at IS NULL)""",
        token_hash(secret),
        now,
    )
    if row is None:
        return None
    return acting(row, via="session" if row["account_id"] else "group_token"), row[
        "csrf"
    ]


async def switch(pool: Pool, secret: str, local_actor_id: int | None) -> None:
    """Let the session act for another of its account's groups."""
    await pool.execute(
        "UPDATE web_sessions SET local_actor_id = $2 WHERE secret_hash = $1",
        token_hash(secret),
        local_actor_id,
    )


async def end(pool: Pool, secret: str, now: datetime) -> None:
    """Sign out, and forget every expired session."""
    await pool.execute(
        "DELETE FROM web_sessions WHERE secret_hash = $1 OR expires_at <= $2",
        token_hash(secret),
        now,
    )


async def end_for_token(pool: Pool, token_id: int) -> int:
    """End every session opened with token `token_id`; how many."""
    done = await pool.execute("DELETE FROM web_sessions WHERE token_id = $1", token_id)
    return int(done.split()[-1])


async def of_account(
    pool: Pool, account_id: int, now: datetime
) -> list[asyncpg.Record]:
    """An account's live sessions, newest first: an id to end each by (a prefix of the
    secret's hash, never the secret), when it began and was last seen."""
    return await pool.fetch(
        """SELECT encode(substr(secret_hash, 1, 8), 'hex') AS id, created_at,
                  coalesce(last_seen_at, created_at) AS last_seen_at, expires_at
           FROM web_sessions WHERE account_id = $1 AND expires_at > $2
           ORDER BY created_at DESC""",
        account_id,
        now,
    )


async def end_of_account(
    pool: Pool, account_id: int, *, session_id: str | None = None
) -> int:
    """End one of an account's sessions (by the id `of_account` shows) or all; how many."""
    done = await pool.execute(
        """DELETE FROM web_sessions WHERE account_id = $1
           AND ($2::text IS NULL OR encode(substr(secret_hash, 1, 8), 'hex') = $2)""",
        account_id,
        session_id,
    )
    return int(done.split()[-1])


def session_id(secret: str) -> str:
    """The id `of_account` shows for the session with this cookie secret."""
    return token_hash(secret)[:8].hex()
