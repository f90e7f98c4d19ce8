"""Body digests: `Digest` (RFC 3230, SHA-256) and `Content-Digest` (RFC 9530)."""

from __future__ import annotations

import base64
import hashlib
import hmac

from federation.errors import SignatureFormatError, SignatureInvalidError


def digest_header(body: bytes) -> str:
    """`Digest: SHA-256=<base64>` as Mastodon sends and requires."""
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")


def content_digest_header(body: bytes) -> str:
    """`Content-Digest: sha-256=:<base64>:` (RFC 9530 §2)."""
    return (
        "sha-256=:"
        + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")
        + ":"
    )


def verify_digest(value: str, body: bytes) -> None:
    """Check a `Digest` header; only SHA-256 is accepted (as Mastodon does).

    Raises:
        SignatureFormatError: no SHA-256 entry.
        SignatureInvalidError: the digest does not match the body.
    """
    expected = hashlib.sha256(body).digest()
    for part in value.split(","):
        algo, _, encoded = part.strip().partition("=")
        if algo.lower() == "sha-256":
            try:
                got = base64.b64decode(encoded, validate=True)
            except ValueError:
                msg = "Digest is not valid base64"
                raise SignatureFormatError(msg, code="digest_malformed") from None
            if not hmac.compare_digest(got, expected):
                msg = "Digest does not match the body"
                raise SignatureInvalidError(msg, code="digest_mismatch")
            return
    msg = "Digest has no SHA-256 value"
    raise SignatureFormatError(msg, code="digest_malformed")


def verify_content_digest(value: str, body: bytes) -> None:
    """Check a `Content-Digest` header (RFC 9530); sha-256 or sha-512 accepted."""
    hashes = {"sha-256": hashlib.sha256, "sha-512": hashlib.sha512}
    for part in value.split(","):
        algo, _, encoded = part.strip().partition("=")
        algo = algo.strip().lower()
        if algo in hashes:
            encoded = encoded.strip()
            if not (encoded.startswith(":") and encoded.endswith(":")):
                msg = "Content-Digest value is not a byte sequence"
                raise SignatureFormatError(msg, code="digest_malformed")
            try:
                got = base64.b64decode(encoded[1:-1], validate=True)
            except ValueError:
                msg = "Content-Digest is not valid base64"
                raise SignatureFormatError(msg, code="digest_malformed") from None
            if not hmac.compare_digest(got, hashes[algo](body).digest()):
                msg = "Content-Digest does not match the body"
                raise SignatureInvalidError(msg, code="digest_mismatch")
            return
    msg = "Content-Digest has no sha-256 or sha-512 value"
    raise SignatureFormatError(msg, code="digest_malformed")
