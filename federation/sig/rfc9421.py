"""RFC 9421 HTTP Message Signatures, through the `http-message-signatures` library.

We keep the library behind pure functions over HttpRequest. Time policy is ours
(verify.py, with an injected `now`): the library's own clock checks are disabled.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import http_sf
from cryptography.hazmat.primitives.asymmetric import rsa
from http_message_signatures import (
    HTTPMessageSigner,
    HTTPMessageVerifier,
    HTTPSignatureAlgorithm,
    HTTPSignatureKeyResolver,
    algorithms,
)
from http_message_signatures.exceptions import HTTPMessageSignaturesException
from http_message_signatures.structures import CaseInsensitiveDict

from federation.errors import SignatureFormatError, SignatureInvalidError
from federation.sig.digest import content_digest_header
from federation.sig.keys import PrivateKey, PublicKey
from federation.types import HttpRequest

# RFC 9421 §6.2.2 algorithm names we accept; Mastodon signs with rsa-v1_5-sha256
ALGORITHMS: dict[str, type[HTTPSignatureAlgorithm]] = {
    "rsa-v1_5-sha256": algorithms.RSA_V1_5_SHA256,
    "rsa-pss-sha512": algorithms.RSA_PSS_SHA512,
    "ed25519": algorithms.ED25519,
}
LABEL = "sig1"
_NO_CLOCK = timedelta(days=365 * 1000)  # the library's wall-clock checks, disabled


MAX_COVERED = 32  # components a signature may cover


@dataclass(frozen=True, slots=True)
class SignatureInput:
    label: str
    key_id: str
    covered: tuple[str, ...]
    created: int | None
    expires: int | None
    alg: str | None


class _Message:
    """The request interface the library reads (method, url, headers)."""

    def __init__(self, request: HttpRequest) -> None:
        self.method = request.method
        self.url = request.url
        self.headers = CaseInsensitiveDict(dict(request.headers))  # type: ignore[no-untyped-call]


class _OneKey(HTTPSignatureKeyResolver):
    def __init__(
        self,
        key_id: str,
        public: PublicKey | None = None,
        private: PrivateKey | None = None,
    ) -> None:
        self.key_id, self.public, self.private = key_id, public, private

    def resolve_public_key(self, key_id: str) -> PublicKey | None:
        return self.public if key_id == self.key_id else None

    def resolve_private_key(self, key_id: str) -> PrivateKey | None:
        return self.private if key_id == self.key_id else None


def parse_signature_input(request: HttpRequest) -> SignatureInput:
    """The one signature a request carries (Mastodon requires exactly one).

    Raises:
        SignatureFormatError: missing, malformed, several, or without keyid.
    """
    raw_input, raw_sig = (
        request.headers.get("signature-input"),
        request.headers.get("signature"),
    )
    if not raw_input or not raw_sig:
        msg = "Signature-Input and Signature are both required"
        raise SignatureFormatError(msg)
    try:
        parsed: Any = http_sf.parse(raw_input.encode("ascii"), tltype="dictionary")
    except (ValueError, UnicodeError) as exc:
        msg = "malformed Signature-Input"
        raise SignatureFormatError(msg) from exc
    if len(parsed) != 1:
        msg = "exactly one signature is accepted"
        raise SignatureFormatError(msg)
    label, (members, params) = next(iter(parsed.items()))
    if not isinstance(members, list) or not isinstance(params.get("keyid"), str):
        msg = "Signature-Input needs a component list and a keyid"
        raise SignatureFormatError(msg)
    covered = tuple(str(item[0]) for item in members)
    if len(covered) > MAX_COVERED:
        msg = f"a signature covers at most {MAX_COVERED} components"
        raise SignatureFormatError(msg, code="signature_covers_too_much")
    created, expires = params.get("created"), params.get("expires")
    alg = params.get("alg")
    return SignatureInput(
        label=label,
        key_id=params["keyid"],
        covered=covered,
        created=created
        if isinstance(created, int) and not isinstance(created, bool)
        else None,
        expires=expires
        if isinstance(expires, int) and not isinstance(expires, bool)
        else None,
        alg=alg if isinstance(alg, str) else None,
    )


def _algorithm_for(
    alg: str | None, key: PublicKey | PrivateKey
) -> type[HTTPSignatureAlgorithm]:
    if alg is not None:
        if alg not in ALGORITHMS:
            msg = f"unsupported algorithm {alg!r}"
            raise SignatureInvalidError(msg)
        return ALGORITHMS[alg]
    if isinstance(key, rsa.RSAPublicKey | rsa.RSAPrivateKey):
        return algorithms.RSA_V1_5_SHA256
    return algorithms.ED25519


def sign(
    request: HttpRequest,
    *,
    key_id: str,
    private_key: PrivateKey,
    now: datetime,
    covered: Sequence[str] | None = None,
    label: str = LABEL,
    include_alg: bool = True,
) -> dict[str, str]:
    """Headers that sign `request` (Content-Digest when there is a body, Signature-Input, Signature).

    The default covers `@method`, `@target-uri` and `content-digest` (on POST), what
    Mastodon requires (RFC 9421 support in app/lib/signed_request.rb).
    """
    added: dict[str, str] = {}
    if covered is None:
        covered = ("@method", "@target-uri")
        if request.method != "GET" or request.body:
            added["content-digest"] = content_digest_header(request.body)
            covered = (*covered, "content-digest")
    message = _Message(request.with_headers(added))
    signer = HTTPMessageSigner(
        signature_algorithm=_algorithm_for(None, private_key),
        key_resolver=_OneKey(key_id, private=private_key),
    )
    signer.sign(
        message,
        key_id=key_id,
        created=now,
        label=label,
        include_alg=include_alg,
        covered_component_ids=tuple(covered),
        use_existing_digest="content-digest" in message.headers,
    )
    added["signature-input"] = message.headers["Signature-Input"]
    added["signature"] = message.headers["Signature"]
    return added


def signature_base(
    request: HttpRequest,
    covered: Sequence[str],
    *,
    key_id: str,
    created: datetime,
    label: str = LABEL,
    include_alg: bool = False,
    algorithm: str = "ed25519",
) -> str:
    """The signature base (RFC 9421 §2.5) that signing would produce, for inspection."""
    signer = HTTPMessageSigner(signature_algorithm=ALGORITHMS[algorithm])
    prepared = signer.prepare(
        _Message(request),
        key_id=key_id,
        created=created,
        label=label,
        include_alg=include_alg,
        covered_component_ids=tuple(covered),
        use_existing_digest="content-digest" in request.headers,
    )
    return prepared.signature_base.decode("ascii")


def verify(request: HttpRequest, parsed: SignatureInput, public_key: PublicKey) -> None:
    """Check the signature bytes (no coverage or age policy; see verify.py).

    Raises:
        SignatureInvalidError: the signature does not verify.
    """
    verifier = HTTPMessageVerifier(
        signature_algorithm=_algorithm_for(parsed.alg, public_key),
        key_resolver=_OneKey(parsed.key_id, public=public_key),
    )
    verifier.max_clock_skew = _NO_CLOCK
    try:
        verifier.verify(_Message(request), max_age=None)
    except HTTPMessageSignaturesException as exc:
        msg = f"RFC 9421 signature does not verify: {exc}"
        raise SignatureInvalidError(msg) from None
