"""The federation exception hierarchy; node/web maps each to one HTTP status.

Every refusal carries a stable machine-readable `code` (FEDERATION.md lists them) beside its
sentence, and the HTTP `status` it is answered with: 401 for anything about who sent a
request (unsigned, malformed or invalid signatures, digests, keys that cannot be had),
400 for a malformed activity, 403 for a refused domain.
"""

from __future__ import annotations


class FederationError(Exception):
    """Base of every protocol-level refusal."""

    code = "refused"
    status = 400

    def __init__(
        self, message: str = "", *, code: str | None = None, status: int | None = None
    ) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status


class SignatureError(FederationError):
    """A request's signature cannot be accepted (401)."""

    code = "signature_invalid"
    status = 401


class SignatureFormatError(SignatureError):
    """The signature headers are missing or malformed (401: we cannot tell who sent it)."""

    code = "signature_malformed"


class SignatureInvalidError(SignatureError):
    """The signature does not verify, or covers too little (401)."""

    code = "signature_invalid"


class SignatureExpiredError(SignatureInvalidError):
    """Date/created is outside the accepted window (401)."""

    code = "date_out_of_window"


class FetchRefusedError(FederationError):
    """A remote fetch was refused by policy or failed its checks."""

    code = "fetch_refused"
    status = 401


class OriginMismatchError(FederationError):
    """Two URLs that must share an origin do not."""

    code = "origin_mismatch"
    status = 401


class DocumentError(FederationError):
    """A remote JSON document has the wrong shape (a key document: 401; an activity that
    was POSTed to us: 400, said at the raise)."""

    code = "document_invalid"
    status = 401
