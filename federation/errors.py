"""The federation exception hierarchy; node/web maps each to one HTTP status."""

from __future__ import annotations


class FederationError(Exception):
    """Base of every protocol-level refusal."""


class SignatureError(FederationError):
    """A request's signature cannot be accepted."""


class SignatureFormatError(SignatureError):
    """The signature headers are missing or malformed (400)."""


class SignatureInvalidError(SignatureError):
    """The signature does not verify, or covers too little (401)."""


class SignatureExpiredError(SignatureInvalidError):
    """Date/created is outside the accepted window (401)."""


class FetchRefusedError(FederationError):
    """A remote fetch was refused by policy or failed its checks."""


class OriginMismatchError(FederationError):
    """Two URLs that must share an origin do not."""


class DocumentError(FederationError):
    """A remote JSON document has the wrong shape."""
