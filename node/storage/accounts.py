"""Accounts of the people who run groups and the node, their roles per group, recovery
codes and invitation links (secrets kept as SHA-256 only)."""

from __future__ import annotations

from datetime import datetime, timedelta

import asyncpg

from node.storage.actors import Pool
from node.storage.db import Connection

_ACCOUNT = """id, name, operator, user_handle, password_hash, totp_secret, totp_last_step,
              failed_signins, locked_until, created_at, disabled_at"""


async def create(
    conn: Pool, *, name: str, operator: bool, user_handle: bytes
) -> int | None:
    """A new account; None when the name is taken (in any case)."""
    found = await conn.fetchval(
        """INSERT INTO accounts (name, operator, user_handle) VALUES ($1, $2, $3)
           ON CONFLICT DO NOTHING RETURNING id""",
        name,
        operator,
        user_handle,
    )
    return None if found is None else int(found)


async def by_name(conn: Pool, name: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {_ACCOUNT} FROM accounts WHERE lower(name) = lower($1)", name
    )


async def by_id(conn: Pool, account_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {_ACCOUNT} FROM accounts WHERE id = $1", account_id
    )


async def listing(conn: Pool) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT c.id, c.name, c.operator, c.created_at, c.disabled_at,
                  c.password_hash IS NOT NULL AS has_password,
                  (SELECT count(*) FROM passkeys p WHERE p.account_id = c.id) AS passkeys,
                  coalesce((SELECT string_agg(a.name || ':' || r.role, ' ' ORDER BY a.name)
                              FROM group_roles r JOIN local_actors a ON a.id = r.local_actor_id
                             WHERE r.account_id = c.id), '') AS roles
           FROM accounts c ORDER BY c.id"""
    )


async def disable(conn: Connection, account_id: int, now: datetime) -> bool:
    """Disable an account, end its sessions and revoke its tokens (one transaction)."""
    done = await conn.execute(
        "UPDATE accounts SET disabled_at = $2 WHERE id = $1 AND disabled_at IS NULL",
        account_id,
        now,
    )
    await conn.execute("DELETE FROM web_sessions WHERE account_id = $1", account_id)
    await conn.execute(
        "UPDATE api_tokens SET revoked_at = $2 WHERE account_id = $1 AND revoked_at IS NULL",
        account_id,
        now,
    )
    return done.endswith(" 1")


async def set_password(conn: Pool, account_id: int, password_hash: str) -> None:
    await conn.execute(
        "UPDATE accounts SET password_hash = $2 WHERE id = $1",
        account_id,
        password_hash,
    )


async def set_totp(conn: Pool, account_id: int, secret: str | None) -> None:
    await conn.execute(
        "UPDATE accounts SET totp_secret = $2, totp_last_step = NULL WHERE id = $1",
        account_id,
        secret,
    )


async def accept_totp_step(conn: Pool, account_id: int, step: int) -> bool:
    """Note the time step of an accepted code; False when it (or a later one) was
    accepted before: a code is good once."""
    done = await conn.execute(
        """UPDATE accounts SET totp_last_step = $2
           WHERE id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2)""",
        account_id,
        step,
    )
    return done.endswith(" 1")


async def failed(
    conn: Pool, account_id: int, now: datetime, *, limit: int, lock: timedelta
) -> None:
    """Count a failed sign-in; at `limit` in a row, lock the account for `lock`."""
    await conn.execute(
        """UPDATE accounts SET failed_signins = failed_signins + 1,
                  locked_until = CASE WHEN failed_signins + 1 >= $3 THEN $2::timestamptz + $4::interval
                                      ELSE locked_until END
           WHERE id = $1""",
        account_id,
        now,
        limit,
        lock,
    )


async def succeeded(conn: Pool, account_id: int) -> None:
    await conn.execute(
        "UPDATE accounts SET failed_signins = 0, locked_until = NULL WHERE id = $1",
        account_id,
    )


async def replace_recovery_codes(
    conn: Connection, account_id: int, hashes: list[bytes]
) -> None:
    await conn.execute("DELETE FROM recovery_codes WHERE account_id = $1", account_id)
    await conn.executemany(
        "INSERT INTO recovery_codes (account_id, code_hash) VALUES ($1, $2)",
        [(account_id, h) for h in hashes],
    )


async def use_recovery_code(
    conn: Pool, account_id: int, code_hash: bytes, now: datetime
) -> bool:
    done = await conn.execute(
        """UPDATE recovery_codes SET used_at = $3
           WHERE account_id = $1 AND code_hash = $2 AND used_at IS NULL""",
        account_id,
        code_hash,
        now,
    )
    return done.endswith(" 1")


async def recovery_codes_left(conn: Pool, account_id: int) -> int:
    return int(
        await conn.fetchval(
            "SELECT count(*) FROM recovery_codes WHERE account_id = $1 AND used_at IS NULL",
            account_id,
        )
    )


# -- roles


async def grant(
    conn: Pool, account_id: int, local_actor_id: int, role: str
) -> str | None:
    """Give (or change) an account's role in a group; the role it held before."""
    before = await conn.fetchval(
        "SELECT role FROM group_roles WHERE account_id = $1 AND local_actor_id = $2",
        account_id,
        local_actor_id,
    )
    await conn.execute(
        """INSERT INTO group_roles (account_id, local_actor_id, role) VALUES ($1, $2, $3)
           ON CONFLICT (account_id, local_actor_id) DO UPDATE SET role = EXCLUDED.role""",
        account_id,
        local_actor_id,
        role,
    )
    return None if before is None else str(before)


async def remove_role(conn: Pool, account_id: int, local_actor_id: int) -> str | None:
    """Take an account's role in a group away; the role it held (None: it held none)."""
    role = await conn.fetchval(
        """DELETE FROM group_roles WHERE account_id = $1 AND local_actor_id = $2
           RETURNING role""",
        account_id,
        local_actor_id,
    )
    if role is not None:  # its tokens for that group end too
        await conn.execute(
            """UPDATE api_tokens SET revoked_at = now()
               WHERE account_id = $1 AND local_actor_id = $2 AND revoked_at IS NULL""",
            account_id,
            local_actor_id,
        )
    return None if role is None else str(role)


async def role(conn: Pool, account_id: int, local_actor_id: int) -> str | None:
    found = await conn.fetchval(
        "SELECT role FROM group_roles WHERE account_id = $1 AND local_actor_id = $2",
        account_id,
        local_actor_id,
    )
    return None if found is None else str(found)


async def groups_of(conn: Pool, account_id: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT a.id, a.name, a.display_name, r.role FROM group_roles r
           JOIN local_actors a ON a.id = r.local_actor_id
           WHERE r.account_id = $1 ORDER BY a.name""",
        account_id,
    )


async def people_of(conn: Pool, local_actor_id: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT c.id, c.name, r.role, r.granted_at, c.disabled_at FROM group_roles r
           JOIN accounts c ON c.id = r.account_id
           WHERE r.local_actor_id = $1 ORDER BY c.name""",
        local_actor_id,
    )


async def admins(conn: Pool, local_actor_id: int) -> int:
    return int(
        await conn.fetchval(
            """SELECT count(*) FROM group_roles r JOIN accounts c ON c.id = r.account_id
               WHERE r.local_actor_id = $1 AND r.role = 'admin' AND c.disabled_at IS NULL""",
            local_actor_id,
        )
    )


# -- invitations


async def invite(
    conn: Pool,
    *,
    token_hash: bytes,
    expires_at: datetime,
    name: str | None = None,
    local_actor_id: int | None = None,
    role: str | None = None,
    operator: bool = False,
    claims_group: bool = False,
    invited_by: int | None = None,
) -> int:
    return int(
        await conn.fetchval(
            """INSERT INTO invitations (token_hash, expires_at, name, local_actor_id, role,
                                        operator, claims_group, invited_by)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id""",
            token_hash,
            expires_at,
            name,
            local_actor_id,
            role,
            operator,
            claims_group,
            invited_by,
        )
    )


async def open_invitations(conn: Pool, now: datetime) -> list[asyncpg.Record]:
    """Invitations not used yet and not expired (never their secret: only its hash is
    kept)."""
    return await conn.fetch(
        """SELECT i.id, i.name, i.role, i.operator, i.expires_at, a.name AS group_name
           FROM invitations i LEFT JOIN local_actors a ON a.id = i.local_actor_id
           WHERE i.used_at IS NULL AND i.expires_at > $1 ORDER BY i.id""",
        now,
    )


async def invitation(conn: Pool, token_hash: bytes) -> asyncpg.Record | None:
    """An invitation by its secret's hash, used or not (the caller tells which)."""
    return await conn.fetchrow(
        """SELECT i.*, a.name AS group_name FROM invitations i
           LEFT JOIN local_actors a ON a.id = i.local_actor_id WHERE i.token_hash = $1""",
        token_hash,
    )


async def use_invitation(
    conn: Connection, invitation_id: int, account_id: int, now: datetime
) -> bool:
    """Mark an invitation used by `account_id`; False when it was used or expired in the
    meantime (only one taker)."""
    done = await conn.execute(
        """UPDATE invitations SET used_at = $3, account_id = $2
           WHERE id = $1 AND used_at IS NULL AND expires_at > $3""",
        invitation_id,
        account_id,
        now,
    )
    return done.endswith(" 1")
