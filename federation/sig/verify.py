"""Signature policy: what a request must cover and when, whichever scheme it uses.

Pure: the caller parses a claim, looks up the key (I/O at the edge), then calls
`verify_request` with the key and the current time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from federation.errors import (
    SignatureExpiredError,
    SignatureFormatError,
    SignatureInvalidError,
)
from federation.sig import cavage, rfc9421
from federation.sig.digest import verify_content_digest, verify_digest
from federation.sig.keys import PublicKey
from federation.types import HttpRequest, SignatureClaim, Verdict

DEFAULT_WINDOW = timedelta(hours=1)


def claim_of(request: HttpRequest) -> SignatureClaim:
    """Which scheme and key a request claims, without verifying anything.

    RFC 9421 wins when both are present (it is the newer, stricter one).

    Raises:
        SignatureFormatError: no signature, or a malformed one.
    """
    if "signature-input" in request.headers:
        return SignatureClaim("rfc9421", rfc9421.parse_signature_input(request).key_id)
    if "signature" in request.headers:
        return SignatureClaim(
            "cavage", cavage.parse_signature_header(request.headers["signature"]).key_id
        )
    msg = "request is not signed"
    raise SignatureFormatError(msg, code="request_not_signed")


def _check_time(when: datetime, now: datetime, window: timedelta, what: str) -> None:
    if abs(now - when) > window:
        msg = (
            f"{what} is outside the accepted window of {int(window.total_seconds())} s"
        )
        raise SignatureExpiredError(msg)


def _parse_date(value: str) -> datetime:
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        msg = "Date header does not parse"
        raise SignatureFormatError(msg) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _has_body(request: HttpRequest) -> bool:
    return request.method not in ("GET", "HEAD") or bool(request.body)


def _require_body_digest(
    request: HttpRequest,
    covered: set[str],
    field: str,
    check: Callable[[str, bytes], None],
) -> None:
    """A request with a body must sign its digest field, and the digest must match the body."""
    if not _has_body(request):
        return
    if field not in covered:
        msg = f"signature must cover {field} for a request with a body"
        raise SignatureInvalidError(msg, code="digest_not_signed")
    check(request.headers.get(field, ""), request.body)


def _check_host(request: HttpRequest, covered: set[str], host: str | None) -> None:
    """A signed Host must be ours: otherwise a delivery signed for another server is being
    replayed to us."""
    if host is None or "host" not in covered:
        return
    if request.headers.get("host", "").strip().lower().rstrip(".") != host.lower():
        msg = "the signed Host is not this server"
        raise SignatureInvalidError(msg, code="host_mismatch")


def _policy_cavage(
    request: HttpRequest, now: datetime, window: timedelta, host: str | None
) -> cavage.CavageSignature:
    """Every draft-cavage check but the signature itself (no key needed)."""
    sig = cavage.parse_signature_header(request.headers["signature"])
    covered = set(sig.headers)
    # Mastodon signed_request.rb: (request-target) or digest; date or (created); host on GET
    if "(request-target)" not in covered:
        msg = "signature must cover (request-target)"
        raise SignatureInvalidError(msg, code="signature_covers_too_little")
    if "host" not in covered:
        msg = "signature must cover host"
        raise SignatureInvalidError(msg, code="signature_covers_too_little")
    _check_host(request, covered, host)
    if "date" in covered:
        _check_time(_parse_date(request.headers.get("date", "")), now, window, "Date")
    elif "(created)" in covered and sig.created is not None:
        _check_time(datetime.fromtimestamp(sig.created, UTC), now, window, "created")
    else:
        msg = "signature must cover date"
        raise SignatureInvalidError(msg, code="signature_covers_too_little")
    if (
        sig.expires is not None
        and datetime.fromtimestamp(sig.expires, UTC) < now - window
    ):
        msg = "signature has expired"
        raise SignatureExpiredError(msg)
    _require_body_digest(request, covered, "digest", verify_digest)
    return sig


def _policy_rfc9421(
    request: HttpRequest, now: datetime, window: timedelta, host: str | None
) -> rfc9421.SignatureInput:
    """Every RFC 9421 check but the signature itself (no key needed)."""
    parsed = rfc9421.parse_signature_input(request)
    covered = set(parsed.covered)
    if (
        not {"@method", "@target-uri"} <= covered
        and not {"@method", "@authority", "@path"} <= covered
    ):
        msg = "signature must cover @method and @target-uri"
        raise SignatureInvalidError(msg, code="signature_covers_too_little")
    if parsed.created is None:
        msg = "signature needs a created parameter"
        raise SignatureFormatError(msg)
    _check_time(datetime.fromtimestamp(parsed.created, UTC), now, window, "created")
    if parsed.expires is not None and datetime.fromtimestamp(parsed.expires, UTC) < now:
        msg = "signature has expired"
        raise SignatureExpiredError(msg)
    _check_host(request, covered, host)
    _require_body_digest(request, covered, "content-digest", verify_content_digest)
    return parsed


@dataclass(frozen=True, slots=True)
class Checked:
    """A request that passed every key-free check: who it says signed it, and its parsed
    signature (what verify_checked needs, so nothing is parsed twice)."""

    claim: SignatureClaim
    signature: cavage.CavageSignature | rfc9421.SignatureInput


def precheck(
    request: HttpRequest,
    *,
    now: datetime,
    window: timedelta = DEFAULT_WINDOW,
    host: str | None = None,
    claim: SignatureClaim | None = None,
) -> Checked:
    """Every check that needs no key, cheapest first: which scheme and key, sizes, what
    is covered, the time window, a signed Host that is `host` (ours), and a digest that
    matches the body. Done before any key is fetched, so a refusal costs no request out.
    `claim`: the request's claim_of, when the caller read it already.

    Raises:
        SignatureFormatError, SignatureInvalidError, SignatureExpiredError.
    """
    claim = claim or claim_of(request)
    if claim.scheme == "rfc9421":
        return Checked(claim, _policy_rfc9421(request, now, window, host))
    return Checked(claim, _policy_cavage(request, now, window, host))


def verify_checked(request: HttpRequest, checked: Checked, key: PublicKey) -> Verdict:
    """The signature of a prechecked request, against `key`.

    Raises:
        SignatureInvalidError: wrong key or tampered content (401).
    """
    sig = checked.signature
    if isinstance(sig, rfc9421.SignatureInput):
        rfc9421.verify(request, sig, key)
        return Verdict(key_id=sig.key_id, scheme="rfc9421", covered=sig.covered)
    cavage.verify(request, sig, key)
    return Verdict(key_id=sig.key_id, scheme="cavage", covered=sig.headers)


def verify_request(
    request: HttpRequest,
    key: PublicKey,
    *,
    now: datetime,
    window: timedelta = DEFAULT_WINDOW,
    host: str | None = None,
) -> Verdict:
    """Verify a signed request with the claimed key under our policy (precheck, then
    verify_checked).

    Raises:
        SignatureFormatError: malformed or missing parts.
        SignatureInvalidError: wrong key, tampered content, too little covered (401).
        SignatureExpiredError: Date/created outside the window (401).
    """
    checked = precheck(request, now=now, window=window, host=host)
    return verify_checked(request, checked, key)
