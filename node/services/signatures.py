"""Who signed a request: the signature verified against the signer's key (fetched once,
refetched once when a cached key fails: the peer may have rotated it)."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlsplit

import structlog

from federation.errors import SignatureInvalidError
from federation.sig.verify import Checked, precheck, verify_checked
from federation.types import HttpRequest, SignatureClaim
from node.services.remote import RemoteActors

log = structlog.get_logger(__name__)


def checked(
    message: HttpRequest,
    *,
    now: datetime,
    window: timedelta,
    claim: SignatureClaim | None = None,
) -> Checked:
    """`message` through every key-free check, the signed Host being ours (the host of
    the URL it was received at).

    Raises:
        SignatureFormatError, SignatureInvalidError, SignatureExpiredError.
    """
    host = urlsplit(message.url).netloc
    return precheck(message, now=now, window=window, host=host, claim=claim)


async def verified_signer(
    message: HttpRequest,
    *,
    remote: RemoteActors,
    now: datetime,
    window: timedelta,
    claim: SignatureClaim | None = None,
) -> str:
    """The actor id whose key validly signed `message` (`claim`: its claim_of, when the
    caller read it already).

    Raises:
        SignatureFormatError, SignatureInvalidError, FetchRefusedError, DocumentError.
    """
    # everything that needs no key first: a refusal then costs no fetch
    done = checked(message, now=now, window=window, claim=claim)
    key_id = done.claim.key_id
    resolved = await remote.key_for(key_id)
    try:
        verify_checked(message, done, resolved.public_key)
    except SignatureInvalidError:
        if not resolved.cached:
            raise
        log.info("signature_key_refetch", key_id=key_id)
        resolved = await remote.key_for(key_id, refresh=True)
        verify_checked(message, done, resolved.public_key)
    await remote.remember(key_id, resolved)
    structlog.contextvars.bind_contextvars(signer=resolved.owner)
    return resolved.owner
