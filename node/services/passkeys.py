"""Passkeys: the WebAuthn ceremonies (registration and sign-in) through the `webauthn`
library. Every challenge is random, kept as SHA-256, good once and for five minutes; the
relying party is the node's host and the origin its public URL."""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import webauthn
from webauthn.helpers import base64url_to_bytes, exceptions
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from node.services.credentials import AccessError, NewPasskey, add_passkey
from node.storage import accounts as account_store, passkeys as store
from node.storage.db import Pool

CHALLENGE_TTL = timedelta(minutes=5)
MAX_LABEL = 80


def rp_id(base_url: str) -> str:
    return urlsplit(base_url).hostname or "localhost"


def origin(base_url: str) -> str:
    parts = urlsplit(base_url)
    return f"{parts.scheme}://{parts.netloc}"


def _digest(challenge: bytes) -> bytes:
    return hashlib.sha256(challenge).digest()


async def registration_options(
    pool: Pool,
    *,
    base_url: str,
    node_name: str,
    now: datetime,
    name: str,
    account: Any | None = None,
) -> dict[str, Any]:
    """Options for navigator.credentials.create(): a passkey for `account` (signed in),
    or for the account an invitation is about to make (`name`)."""
    user_handle = secrets.token_bytes(32) if account is None else account["user_handle"]
    known = [] if account is None else await store.of_account(pool, account["id"])
    challenge = secrets.token_bytes(32)
    options = webauthn.generate_registration_options(
        rp_id=rp_id(base_url),
        rp_name=f"movement-node {node_name}",
        user_name=name,
        user_id=user_handle,
        challenge=challenge,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=[
            PublicKeyCredentialDescriptor(id=bytes(k["credential_id"])) for k in known
        ],
    )
    return await _issued(
        pool,
        options,
        challenge,
        purpose="register",
        account_id=None if account is None else account["id"],
        user_handle=user_handle,
        now=now,
    )


async def _issued(
    pool: Pool,
    options: Any,
    challenge: bytes,
    *,
    purpose: str,
    now: datetime,
    account_id: int | None = None,
    user_handle: bytes | None = None,
) -> dict[str, Any]:
    """Keep the ceremony's challenge (as SHA-256, for five minutes); the options as the
    browser's JSON."""
    await store.new_challenge(
        pool,
        _digest(challenge),
        purpose=purpose,
        account_id=account_id,
        user_handle=user_handle,
        expires_at=now + CHALLENGE_TTL,
    )
    shown: dict[str, Any] = json.loads(webauthn.options_to_json(options))
    return shown


def _not_a_credential() -> AccessError:
    return AccessError(
        message="not a WebAuthn credential", code="invalid_credential", status=400
    )


def _client_challenge(credential: Any) -> bytes:
    """The challenge the client signed (from its clientDataJSON), to find ours by."""
    try:
        response = credential["response"]
        client_data = json.loads(base64url_to_bytes(response["clientDataJSON"]))
        return base64url_to_bytes(client_data["challenge"])
    except (KeyError, TypeError, ValueError, AttributeError):
        raise _not_a_credential() from None


async def _take(pool: Pool, credential: Any, purpose: str, now: datetime) -> Any:
    challenge = _client_challenge(credential)
    taken = await store.take_challenge(
        pool, _digest(challenge), purpose=purpose, now=now
    )
    if taken is None:
        raise AccessError(
            message="that challenge was never issued",
            code="challenge_unknown",
            status=400,
        )
    ok, row = taken
    if not ok:
        raise AccessError(
            message="that challenge was used already or has expired; start again",
            code="challenge_used",
            status=400,
        )
    return challenge, row


async def verify_registration(
    pool: Pool,
    credential: Any,
    *,
    base_url: str,
    now: datetime,
    account_id: int | None,
) -> NewPasskey:
    """Check a new credential against the challenge we issued (used up either way)."""
    challenge, row = await _take(pool, credential, "register", now)
    if row["account_id"] != account_id:
        raise AccessError(
            message="that challenge was issued to someone else",
            code="challenge_unknown",
        )
    try:
        verified = webauthn.verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp_id(base_url),
            expected_origin=origin(base_url),
            require_user_verification=True,
        )
    except exceptions.WebAuthnException as exc:
        raise AccessError(
            message=f"the passkey was not accepted: {exc}",
            code="passkey_invalid",
            status=400,
        ) from None
    return NewPasskey(
        user_handle=bytes(row["user_handle"]),
        credential_id=verified.credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
    )


async def add(pool: Any, new: NewPasskey, *, account_id: int, label: str) -> None:
    """Another passkey of a signed-in account (its label trimmed)."""
    await add_passkey(
        pool, new, account_id=account_id, label=(label.strip() or "passkey")[:MAX_LABEL]
    )


async def authentication_options(
    pool: Pool, *, base_url: str, now: datetime
) -> dict[str, Any]:
    """Options for navigator.credentials.get(): any passkey of this node (discoverable)."""
    challenge = secrets.token_bytes(32)
    options = webauthn.generate_authentication_options(
        rp_id=rp_id(base_url),
        challenge=challenge,
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    return await _issued(pool, options, challenge, purpose="authenticate", now=now)


def _failed() -> AccessError:
    return AccessError(
        message="that passkey does not open an account here",
        code="sign_in_failed",
        status=401,
    )


async def authenticate(
    pool: Pool, credential: Any, *, base_url: str, now: datetime
) -> Any:
    """The account a passkey assertion opens (its signature counter moves on).

    Raises:
        AccessError: 400 for a challenge unknown or used, 401 `sign_in_failed`.
    """
    challenge, _row = await _take(pool, credential, "authenticate", now)
    try:
        raw_id = base64url_to_bytes(str(credential["rawId"]))
        handle = credential["response"].get("userHandle")
        user_handle = None if not handle else base64url_to_bytes(str(handle))
    except (KeyError, TypeError, ValueError, AttributeError):
        raise _not_a_credential() from None
    key = await store.by_credential(pool, raw_id)
    if key is None or (user_handle is not None and user_handle != key["user_handle"]):
        raise _failed()
    account = await account_store.by_id(pool, key["account_id"])
    if account is None or account["disabled_at"] is not None:
        raise _failed()
    # no lock here: password failures (anyone can cause them knowing a name) never shut
    # the owner's passkey out, and a passkey cannot be guessed
    try:
        verified = webauthn.verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp_id(base_url),
            expected_origin=origin(base_url),
            credential_public_key=bytes(key["public_key"]),
            credential_current_sign_count=key["sign_count"],
            require_user_verification=True,
        )
    except exceptions.WebAuthnException:
        raise _failed() from None
    await store.used(pool, key["id"], verified.new_sign_count, now)
    return account
