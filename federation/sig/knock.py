"""Double-knocking: send draft-cavage first, retry once with RFC 9421 on 401/403.

What worked is remembered per host, so the second knock is paid once per peer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from federation.sig import cavage, rfc9421
from federation.sig.keys import PrivateKey
from federation.types import HttpRequest, SignatureScheme

RETRY_STATUSES = frozenset({401, 403})
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class SigningKey:
    """A local actor's key as used to sign requests."""

    key_id: str
    private_key: PrivateKey = field(repr=False)


def sign(
    request: HttpRequest, key: SigningKey, scheme: SignatureScheme, now: datetime
) -> HttpRequest:
    """`request` with the headers of one signature in `scheme`."""
    module = rfc9421 if scheme == "rfc9421" else cavage
    return request.with_headers(
        module.sign(request, key_id=key.key_id, private_key=key.private_key, now=now)
    )


def retry_scheme(status: int, tried: SignatureScheme) -> SignatureScheme | None:
    """The scheme to retry with after `status`, or None when there is nothing to retry."""
    if status in RETRY_STATUSES and tried == "cavage":
        return "rfc9421"
    return None


@dataclass(slots=True)
class KnockMemory:
    """Per host, the scheme that last succeeded (hosts not seen: cavage)."""

    by_host: dict[str, SignatureScheme] = field(default_factory=dict)

    def first_scheme(self, host: str) -> SignatureScheme:
        return self.by_host.get(host, "cavage")

    def record_success(self, host: str, scheme: SignatureScheme) -> None:
        self.by_host[host] = scheme


async def knock(
    memory: KnockMemory,
    host: str,
    signed: Callable[[SignatureScheme], Awaitable[HttpRequest]],
    send: Callable[[HttpRequest], Awaitable[T]],
    status_of: Callable[[T], int],
) -> T:
    """Send a request signed with the scheme that last worked for `host`; on 401/403 retry
    once with the other scheme; remember what succeeded. I/O is the caller's `send`."""
    scheme = memory.first_scheme(host)
    while True:
        result = await send(await signed(scheme))
        status = status_of(result)
        if status < 400:
            memory.record_success(host, scheme)
            return result
        retry = retry_scheme(status, scheme)
        if retry is None:
            return result
        scheme = retry
