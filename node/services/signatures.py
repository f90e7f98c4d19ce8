"""Who signed a request: the signature verified against the signer's key (fetched once,
refetched once when a cached key fails: the peer may have rotated it)."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlsplit

import structlog

from federation.errors import SignatureExpiredError, SignatureInvalidError
from federation.sig.verify import precheck, verify_request
from federation.types import HttpRequest
from node.services.remote import RemoteActors

log = structlog.get_logger(__name__)


async def verified_signer(
    message: HttpRequest,
    *,
    remote: RemoteActors,
    now: datetime,
    window: timedelta,
) -> str:
    """The actor id whose key validly signed `message`.

    Raises:
        SignatureFormatError, SignatureInvalidError, FetchRefusedError, DocumentError.
    """
    host = urlsplit(message.url).netloc
    # everything that needs no key first: a refusal then costs no fetch
    claim = precheck(message, now=now, window=window, host=host)
    resolved = await remote.key_for(claim.key_id)
    try:
        verify_request(message, resolved.public_key, now=now, window=window, host=host)
    except SignatureExpiredError:
        raise
    except SignatureInvalidError:
        if not resolved.cached:
            raise
        log.info("signature_key_refetch", key_id=claim.key_id)
        resolved = await remote.key_for(claim.key_id, refresh=True)
        verify_request(message, resolved.public_key, now=now, window=window, host=host)
    await remote.remember(resolved)
    structlog.contextvars.bind_contextvars(signer=resolved.owner)
    return resolved.owner
