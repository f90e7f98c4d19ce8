"""Sign-in secrets: argon2id password hashes (off the event loop, two at a time), TOTP
codes (RFC 6238, pyotp) and recovery codes (shown once, kept as SHA-256)."""

from __future__ import annotations

import asyncio
import functools
import re
import secrets
import weakref
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import argon2
import pyotp

from federation.errors import FederationError
from node.storage import accounts as store, passkeys as passkey_store
from node.storage.db import Pool
from node.storage.tokens import token_hash


class AccessError(FederationError):
    """A sign-in, invitation or role change that is refused (its code and status)."""

    code = "access_refused"
    status = 403


# a secret (recovery code, invitation link) is kept as the same SHA-256 as a token
secret_hash = token_hash


RECOVERY_CODES = 10
MIN_PASSWORD = 12
MAX_PASSWORD = 1024
_HASHER = argon2.PasswordHasher()  # argon2id, the library's (RFC 9106) parameters


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the name is unknown, so a miss costs what a hit costs (made
    on first use: every process that imports this need not pay for it)."""
    return _HASHER.hash(secrets.token_urlsafe(16))


# each hash takes 64 MiB and a core for ~0.1 s: a flood of sign-ins waits its turn
# instead of taking the node's memory and CPU (two at a time, per event loop)
_HASHING: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)


def _hashing() -> asyncio.Semaphore:
    loop = asyncio.get_running_loop()
    if loop not in _HASHING:
        _HASHING[loop] = asyncio.Semaphore(2)
    return _HASHING[loop]


def check_password(password: str) -> str:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        msg = f"a password has {MIN_PASSWORD} to {MAX_PASSWORD} characters"
        raise AccessError(msg, code="weak_password", status=422)
    return password


async def hash_password(password: str) -> str:
    """argon2id, off the event loop (it is slow on purpose)."""
    async with _hashing():
        return await asyncio.to_thread(_HASHER.hash, password)


async def password_matches(encoded: str | None, password: str) -> bool:
    def verify() -> bool:
        try:
            return _HASHER.verify(encoded or _dummy_hash(), password)
        except (
            argon2.exceptions.VerificationError,
            argon2.exceptions.InvalidHashError,
        ):
            return False

    async with _hashing():
        matched = await asyncio.to_thread(verify)
    return matched and encoded is not None


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(secret: str, *, account: str, issuer: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=issuer)


def totp_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step a six-digit code is good for (this one, or one either side for a
    clock a little off), or None."""
    code = code.strip().replace(" ", "")
    if not re.fullmatch(r"\d{6}", code):
        return None
    totp = pyotp.TOTP(secret)
    step = totp.timecode(now)
    for offset in (0, -1, 1):
        if secrets.compare_digest(totp.generate_otp(step + offset), code):
            return step + offset
    return None


def is_totp_secret(secret: str) -> bool:
    return re.fullmatch(r"[A-Z2-7]{16,64}", secret) is not None


def check_first_code(secret: str, code: str, now: datetime) -> int:
    """The first code from a new authenticator app proves it holds `secret`: its step.

    Raises:
        AccessError: 422 `wrong_code`.
    """
    step = totp_step(secret, code, now) if is_totp_secret(secret) else None
    if step is None:
        raise AccessError(
            message="that code is not the one your app shows for this key; try again",
            code="wrong_code",
            status=422,
        )
    return step


def normal_code(code: str) -> str:
    return re.sub(r"[^a-z0-9]", "", code.lower())


def new_recovery_codes() -> list[str]:
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = secrets.token_hex(5)
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes


async def replace_recovery_codes(pool: Pool, account_id: int) -> list[str]:
    """New recovery codes (the old ones stop working); shown only now."""
    codes = new_recovery_codes()
    async with pool.acquire() as conn, conn.transaction():
        await store.replace_recovery_codes(
            conn, account_id, [secret_hash(normal_code(c)) for c in codes]
        )
    return codes


@dataclass(frozen=True, slots=True)
class NewPasskey:
    """A passkey whose registration was verified, to keep for an account."""

    user_handle: bytes
    credential_id: bytes
    public_key: bytes
    sign_count: int


async def add_passkey(
    conn: Any, new: NewPasskey, *, account_id: int, label: str
) -> None:
    """Keep a passkey for the account.

    Raises:
        AccessError: 409 `passkey_known`, when that credential is registered already.
    """
    if not await passkey_store.add(
        conn,
        account_id=account_id,
        credential_id=new.credential_id,
        public_key=new.public_key,
        sign_count=new.sign_count,
        label=label,
    ):
        raise AccessError(
            message="that passkey is registered already",
            code="passkey_known",
            status=409,
        )
