"""Passkeys (WebAuthn credentials) of accounts, and the single-use challenges of the
ceremonies (kept as SHA-256)."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from node.storage.actors import Pool


async def add(
    conn: Pool,
    *,
    account_id: int,
    credential_id: bytes,
    public_key: bytes,
    sign_count: int,
    label: str,
) -> bool:
    """Keep a new passkey; False when that credential is registered already."""
    found = await conn.fetchval(
        """INSERT INTO passkeys (account_id, credential_id, public_key, sign_count, label)
           VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING id""",
        account_id,
        credential_id,
        public_key,
        sign_count,
        label,
    )
    return found is not None


async def by_credential(conn: Pool, credential_id: bytes) -> asyncpg.Record | None:
    return await conn.fetchrow(
        """SELECT p.id, p.account_id, p.public_key, p.sign_count, c.user_handle
           FROM passkeys p JOIN accounts c ON c.id = p.account_id
           WHERE p.credential_id = $1""",
        credential_id,
    )


async def used(conn: Pool, passkey_id: int, sign_count: int, now: datetime) -> None:
    await conn.execute(
        "UPDATE passkeys SET sign_count = $2, last_used_at = $3 WHERE id = $1",
        passkey_id,
        sign_count,
        now,
    )


async def of_account(conn: Pool, account_id: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT id, credential_id, label, created_at, last_used_at FROM passkeys
           WHERE account_id = $1 ORDER BY id""",
        account_id,
    )


async def new_challenge(
    conn: Pool,
    challenge_hash: bytes,
    *,
    purpose: str,
    account_id: int | None,
    expires_at: datetime,
    user_handle: bytes | None = None,
) -> None:
    """Keep a challenge (and forget those that expired an hour ago or more)."""
    await conn.execute(
        "DELETE FROM webauthn_challenges WHERE expires_at < $1::timestamptz - interval '1 hour'",
        expires_at,
    )
    await conn.execute(
        """INSERT INTO webauthn_challenges (challenge_hash, purpose, account_id, expires_at,
                                            user_handle)
           VALUES ($1, $2, $3, $4, $5)""",
        challenge_hash,
        purpose,
        account_id,
        expires_at,
        user_handle,
    )


async def take_challenge(
    conn: Pool, challenge_hash: bytes, *, purpose: str, now: datetime
) -> tuple[bool, asyncpg.Record | None] | None:
    """Use a challenge once: (True, its row: account_id, user_handle) when it was live;
    (False, None) when it was used before or expired; None when it was never issued
    (or so long ago that `new_challenge` forgot it)."""
    row = await conn.fetchrow(
        """UPDATE webauthn_challenges SET used_at = $3
           WHERE challenge_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3
           RETURNING account_id, user_handle""",
        challenge_hash,
        purpose,
        now,
    )
    if row is not None:
        return True, row
    known = await conn.fetchval(
        "SELECT 1 FROM webauthn_challenges WHERE challenge_hash = $1 AND purpose = $2",
        challenge_hash,
        purpose,
    )
    return None if known is None else (False, None)
