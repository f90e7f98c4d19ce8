"""Accounts of the people who run groups and the node: invitations, a password (argon2id)
with TOTP, recovery codes, the sessions they open, and disabling an account.

An account is never an actor: it is not federated, listed or served to anyone but its
holder and the admins of its groups.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from node.domain.access import INVITATION_DAYS as INVITATION_DAYS, Acting, Role
from node.services import access
from node.services.credentials import (  # re-exported: the web and tests use them here
    MAX_PASSWORD,
    AccessError as AccessError,
    NewPasskey,
    add_passkey,
    check_first_code as check_first_code,
    check_password as check_password,
    hash_password as hash_password,
    new_totp_secret as new_totp_secret,
    normal_code,
    password_matches,
    replace_recovery_codes as replace_recovery_codes,
    secret_hash,
    totp_step,
    totp_uri as totp_uri,
)
from node.storage import (
    accounts as store,
    actors,
    sessions,
    tokens,
)
from node.storage.db import Pool

MAX_FAILURES = 10  # failed sign-ins in a row before the account waits
LOCK = timedelta(minutes=15)
NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{1,39}")


def check_name(name: str) -> str:
    if not NAME_RE.fullmatch(name):
        msg = "a name is 2-40 letters, digits, '.', '_' or '-', starting with a letter or digit"
        raise AccessError(msg, code="invalid_name", status=422)
    return name


def _taken(name: str) -> AccessError:
    return AccessError(
        message=f"the name {name!r} is taken", code="name_taken", status=409
    )


async def free_name(pool: Any, name: str) -> str:
    """A valid account name nobody holds (422 `invalid_name`, 409 `name_taken`)."""
    check_name(name)
    if await store.by_name(pool, name) is not None:
        raise _taken(name)
    return name


# -- invitations


@dataclass(frozen=True, slots=True)
class Invitation:
    id: int
    name: str | None
    group: str | None
    local_actor_id: int | None
    role: str | None
    operator: bool
    claims_group: bool


async def invite(
    pool: Any,
    *,
    base_url: str,
    now: datetime,
    days: int = INVITATION_DAYS,
    name: str | None = None,
    local_actor_id: int | None = None,
    role: Role | None = None,
    operator: bool = False,
    claims_group: bool = False,
    invited_by: int | None = None,
) -> str:
    """A one-time invitation link (only its hash is kept), good for `days`."""
    if name is not None:
        await free_name(pool, name)
    secret = secrets.token_urlsafe(32)
    await store.invite(
        pool,
        token_hash=secret_hash(secret),
        expires_at=now + timedelta(days=days),
        name=name,
        local_actor_id=local_actor_id,
        role=None if role is None else str(role),
        operator=operator,
        claims_group=claims_group,
        invited_by=invited_by,
    )
    return f"{base_url}/admin/invite/{secret}"


async def invitation(pool: Pool, secret: str, now: datetime) -> Invitation:
    """A live invitation by its link's secret.

    Raises:
        AccessError: 404 `invitation_unknown`, 410 `invitation_used` or
            `invitation_expired`.
    """
    row = await store.invitation(pool, secret_hash(secret)) if secret else None
    if row is None:
        raise AccessError(
            message="no such invitation", code="invitation_unknown", status=404
        )
    if row["used_at"] is not None:
        raise AccessError(
            message="this invitation was used already",
            code="invitation_used",
            status=410,
        )
    if row["expires_at"] <= now:
        raise AccessError(
            message="this invitation has expired; ask for a new one",
            code="invitation_expired",
            status=410,
        )
    return Invitation(
        id=row["id"],
        name=row["name"],
        group=row["group_name"],
        local_actor_id=row["local_actor_id"],
        role=row["role"],
        operator=row["operator"],
        claims_group=row["claims_group"],
    )


async def accept(
    pool: Pool,
    secret: str,
    *,
    name: str,
    now: datetime,
    password_hash: str | None = None,
    totp_secret: str | None = None,
    spent_step: int | None = None,
    passkey: NewPasskey | None = None,
) -> tuple[int, Invitation]:
    """Make the invitation's account (with its first sign-in method — a password with
    TOTP, or a passkey — and its role) in one
    transaction; the invitation is then used. A group's claim ends its shared tokens."""
    found = await invitation(pool, secret, now)
    name = check_name(found.name or name)
    async with pool.acquire() as conn, conn.transaction():
        account_id = await store.create(
            conn,
            name=name,
            operator=found.operator,
            user_handle=secrets.token_bytes(32)
            if passkey is None
            else passkey.user_handle,
        )
        if account_id is None:
            raise _taken(name)
        if not await store.use_invitation(conn, found.id, account_id, now):
            raise AccessError(
                message="this invitation was used already",
                code="invitation_used",
                status=410,
            )
        if password_hash is not None:
            await store.set_password(conn, account_id, password_hash)
            await store.set_totp(conn, account_id, totp_secret)
            if spent_step is not None:  # the code that proved the app is spent
                await store.accept_totp_step(conn, account_id, spent_step)
        if passkey is not None:
            await add_passkey(
                conn, passkey, account_id=account_id, label="first passkey"
            )
        if found.local_actor_id is not None and found.role is not None:
            await store.grant(conn, account_id, found.local_actor_id, found.role)
        if found.operator:  # the node's operators are the node actor's admins
            for node in await actors.local_by_kind(conn, "node"):
                await store.grant(conn, account_id, node.id, Role.ADMIN)
        if found.claims_group and found.local_actor_id is not None:
            await tokens.revoke_shared(conn, found.local_actor_id)
    return account_id, found


# -- signing in


def check_unlocked(account: Any, now: datetime) -> None:
    if account["locked_until"] is not None and account["locked_until"] > now:
        wait = int((account["locked_until"] - now).total_seconds()) + 1
        raise AccessError(
            message=f"too many failed sign-ins; this account waits {wait} s",
            code="account_locked",
            status=429,
        )


async def sign_in_password(
    pool: Pool, *, name: str, password: str, code: str, now: datetime
) -> Any:
    """The account a name, password and TOTP (or recovery) code open.

    Raises:
        AccessError: 401 `sign_in_failed` (the same for every wrong part, so nothing
            tells which was wrong), 429 `account_locked`.
    """
    account = await store.by_name(pool, name) if NAME_RE.fullmatch(name) else None
    if account is not None:
        check_unlocked(account, now)
    good = await password_matches(
        None if account is None else account["password_hash"], password[:MAX_PASSWORD]
    )
    if (
        account is not None
        and good
        and account["disabled_at"] is None
        and await _second_factor(pool, account, code, now)
    ):
        await store.succeeded(pool, account["id"])
        return account
    if account is not None:
        await store.failed(pool, account["id"], now, limit=MAX_FAILURES, lock=LOCK)
    raise AccessError(
        message="the name, password or code is wrong", code="sign_in_failed", status=401
    )


async def _second_factor(pool: Pool, account: Any, code: str, now: datetime) -> bool:
    secret = account["totp_secret"]
    if secret is None:
        return False  # a password alone never opens an account
    step = totp_step(secret, code, now)
    if step is not None:
        return await store.accept_totp_step(pool, account["id"], step)
    return await store.use_recovery_code(
        pool, account["id"], secret_hash(normal_code(code)), now
    )


async def open_session(pool: Pool, account_id: int, now: datetime) -> str:
    """A session for the account, acting for its first group (by name), if any."""
    groups = await store.groups_of(pool, account_id)
    secret, _csrf = await sessions.create(
        pool,
        local_actor_id=groups[0]["id"] if groups else None,
        account_id=account_id,
        expires_at=now + timedelta(days=access.SESSION_DAYS),
    )
    return secret


async def switch_group(pool: Pool, acting: Acting, secret: str, group: str) -> None:
    """Let the session act for another of the account's groups."""
    if acting.account_id is None:
        raise AccessError(
            message="a group token acts for its own group only", status=403
        )
    for row in await store.groups_of(pool, acting.account_id):
        if row["name"] == group:
            await sessions.switch(pool, secret, row["id"])
            return
    raise AccessError(
        message=f"you hold no role in {group!r}", code="no_role", status=403
    )


async def disable(pool: Pool, name: str, now: datetime) -> int:
    """Disable an account: its sessions and tokens end at once. Its id."""
    account = await store.by_name(pool, name)
    if account is None:
        raise AccessError(
            message=f"no account {name!r}", code="unknown_account", status=404
        )
    async with pool.acquire() as conn, conn.transaction():
        await store.disable(conn, account["id"], now)
    return int(account["id"])
