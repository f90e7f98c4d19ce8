"""draft-cavage-http-signatures-12: signing string, sign, parse, verify (pure)."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from federation.errors import SignatureFormatError, SignatureInvalidError
from federation.origin import authority
from federation.sig.digest import digest_header
from federation.sig.keys import PrivateKey, PublicKey
from federation.types import HttpRequest

# draft-cavage-12 §2.1; Mastodon accepts rsa-sha256 and hs2019 (signed_request.rb)
ACCEPTED_ALGORITHMS = frozenset({"rsa-sha256", "hs2019"})
POST_HEADERS: tuple[str, ...] = ("(request-target)", "host", "date", "digest")
GET_HEADERS: tuple[str, ...] = ("(request-target)", "host", "date")
_PARAM_RE = re.compile(r'\s*([A-Za-z]+)\s*=\s*(?:"([^"]*)"|(\d+(?:\.\d+)?))\s*(?:,|$)')
MAX_HEADER = 8192
MAX_COVERED = 32  # headers a signature may cover (Mastodon signs 4 or 5)


@dataclass(frozen=True, slots=True)
class CavageSignature:
    key_id: str
    algorithm: str | None
    headers: tuple[str, ...]
    signature: bytes
    created: int | None = None
    expires: int | None = None


def http_date(now: datetime) -> str:
    """RFC 9110 IMF-fixdate, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`."""
    return format_datetime(now, usegmt=True)


def parse_signature_header(value: str) -> CavageSignature:
    """Parse a `Signature:` header value (draft-cavage-12 §4.1).

    Raises:
        SignatureFormatError: the header is malformed or lacks keyId/signature.
    """
    if len(value) > MAX_HEADER:
        msg = "Signature header too long"
        raise SignatureFormatError(msg)
    params: dict[str, str] = {}
    pos = 0
    while pos < len(value):
        match = _PARAM_RE.match(value, pos)
        if not match or match.end() == pos:
            msg = "malformed Signature header"
            raise SignatureFormatError(msg)
        name = match[1]
        if name in params:
            msg = f"duplicate Signature parameter {name!r}"
            raise SignatureFormatError(msg)
        params[name] = match[2] if match[2] is not None else match[3]
        pos = match.end()
    if "keyId" not in params or "signature" not in params:
        msg = "Signature header needs keyId and signature"
        raise SignatureFormatError(msg)
    try:
        raw = base64.b64decode(params["signature"], validate=True)
        created = int(float(params["created"])) if "created" in params else None
        expires = int(float(params["expires"])) if "expires" in params else None
    except ValueError:
        msg = "malformed signature, created or expires value"
        raise SignatureFormatError(msg) from None
    headers = tuple(params.get("headers", "(created)").lower().split())
    if len(headers) > MAX_COVERED:
        msg = f"a signature covers at most {MAX_COVERED} headers"
        raise SignatureFormatError(msg, code="signature_covers_too_much")
    return CavageSignature(
        key_id=params["keyId"],
        algorithm=params.get("algorithm", "").lower() or None,
        headers=headers,
        signature=raw,
        created=created,
        expires=expires,
    )


def signing_string(
    request: HttpRequest, headers: tuple[str, ...], sig: CavageSignature | None = None
) -> str:
    """The string to sign for `headers` (draft-cavage-12 §2.3).

    Raises:
        SignatureFormatError: a covered header is missing from the request.
    """
    lines = []
    for name in headers:
        if name == "(request-target)":
            value = f"{request.method.lower()} {request.path_and_query}"
        elif name in ("(created)", "(expires)"):
            stamp = (
                None
                if sig is None
                else (sig.created if name == "(created)" else sig.expires)
            )
            if stamp is None:
                msg = f"{name} is covered but has no value"
                raise SignatureFormatError(msg)
            value = str(stamp)
        elif name in request.headers:
            value = request.headers[name].strip()
        else:
            msg = f"covered header {name!r} is missing"
            raise SignatureFormatError(msg)
        lines.append(f"{name}: {value}")
    return "\n".join(lines)


def sign(
    request: HttpRequest, *, key_id: str, private_key: PrivateKey, now: datetime
) -> dict[str, str]:
    """Headers that sign `request`: Host, Date, Digest (with a body) and Signature."""
    added = {"host": authority(request.url), "date": http_date(now)}
    covered = GET_HEADERS
    if request.method != "GET" or request.body:
        added["digest"] = digest_header(request.body)
        covered = POST_HEADERS
    signed = request.with_headers(added)
    text = signing_string(signed, covered).encode("utf-8")
    raw = _sign_bytes(private_key, text)
    added["signature"] = (
        f'keyId="{key_id}",algorithm="rsa-sha256",headers="{" ".join(covered)}",'
        f'signature="{base64.b64encode(raw).decode("ascii")}"'
    )
    return added


def _sign_bytes(key: PrivateKey, data: bytes) -> bytes:
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    return key.sign(data)


def verify(request: HttpRequest, sig: CavageSignature, public_key: PublicKey) -> None:
    """Check the signature bytes against the request (no policy; see verify.py).

    Raises:
        SignatureInvalidError: bad algorithm or the signature does not verify.
    """
    if sig.algorithm is not None and sig.algorithm not in ACCEPTED_ALGORITHMS:
        msg = f"unsupported algorithm {sig.algorithm!r}"
        raise SignatureInvalidError(msg)
    data = signing_string(request, sig.headers, sig).encode("utf-8")
    try:
        if isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(sig.signature, data, padding.PKCS1v15(), hashes.SHA256())
        elif sig.algorithm == "hs2019":
            public_key.verify(sig.signature, data)
        else:
            msg = "key type does not match the algorithm"
            raise SignatureInvalidError(msg)
    except InvalidSignature:
        msg = "signature does not verify"
        raise SignatureInvalidError(msg) from None
