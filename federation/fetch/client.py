"""EDGE: safe, signed remote fetching over one aiohttp ClientSession.

Every hop is checked by guard.py; host names are resolved by GuardedResolver, which
hands aiohttp only vetted addresses, so what is checked is what is connected to
(no DNS-rebinding gap). Redirects are followed by hand (at most 3), bodies are read
with a 1 MiB cap while streaming, and the whole fetch has a 10 s deadline.
"""

from __future__ import annotations

import asyncio
import asyncio.sslproto
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urljoin

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from federation import jsonshape
from federation.errors import DocumentError, FetchRefusedError
from federation.fetch import guard
from federation.jsonshape import check_shape
from federation.origin import authority
from federation.sig.knock import KnockMemory, SigningKey, knock, sign
from federation.types import HttpRequest, SignatureScheme

ACCEPT = 'application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
USER_AGENT = "movement-node (+https://github.com/movement-node)"
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


class GuardedResolver(AbstractResolver):
    """Resolve names, then drop every address the guard forbids."""

    def __init__(
        self,
        *,
        allow_private: bool,
        permitted: guard.Networks = guard.NO_NETWORKS,
        inner: AbstractResolver | None = None,
    ) -> None:
        self._inner = inner or DefaultResolver()
        self._allow_private = allow_private
        self._permitted = permitted

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        infos = await self._inner.resolve(host, port, family)
        safe = []
        for info in infos:
            try:
                guard.check_address(
                    info["host"],
                    allow_private=self._allow_private,
                    permitted=self._permitted,
                )
            except FetchRefusedError:
                continue
            safe.append(info)
        if not safe:
            msg = f"{host} resolves only to forbidden addresses"
            raise FetchRefusedError(msg)
        return safe

    async def close(self) -> None:
        await self._inner.close()


CONNECTIONS = 1200  # open connections at most (deliveries cap theirs at 1,024)
# asyncio's TLS transport gives each connection a read buffer of SSLProtocol.max_size
# (256 KiB in CPython 3.11+, filled with zeros, so resident): a worker holding keep-alive
# connections to 1,000 https inboxes held 256 MB in them. Two full TLS records a read.
TLS_READ_BUFFER = 32 * 1024


def _lean_tls_buffers() -> None:
    protocol = asyncio.sslproto.SSLProtocol
    if getattr(protocol, "max_size", 0) > TLS_READ_BUFFER:
        protocol.max_size = TLS_READ_BUFFER


def create_session(
    *,
    allow_private: bool,
    permitted: guard.Networks = guard.NO_NETWORKS,
    resolver: AbstractResolver | None = None,
    limit_per_host: int = 8,
) -> aiohttp.ClientSession:
    """The application's one ClientSession (call inside a running loop)."""
    _lean_tls_buffers()
    connector = aiohttp.TCPConnector(
        resolver=GuardedResolver(
            allow_private=allow_private, permitted=permitted, inner=resolver
        ),
        # the delivery worker and the fetch budget bound what is open; a low total here
        # let a hundred hanging hosts hold every connection from the healthy ones
        limit=CONNECTIONS,
        limit_per_host=limit_per_host,
        ttl_dns_cache=60,
    )
    return aiohttp.ClientSession(
        connector=connector, headers={"User-Agent": USER_AGENT}, auto_decompress=True
    )


def is_activity_json(content_type: str) -> bool:
    """application/activity+json, or application/ld+json with the AS profile (CVE-2024-25623)."""
    media, _, params = content_type.partition(";")
    media = media.strip().lower()
    if media == "application/activity+json":
        return True
    return (
        media == "application/ld+json"
        and "https://www.w3.org/ns/activitystreams" in params
    )


def is_json(content_type: str) -> bool:
    media = content_type.partition(";")[0].strip().lower()
    return media in ("application/json", "application/jrd+json") or is_activity_json(
        content_type
    )


@dataclass(frozen=True, slots=True)
class FetchedDocument:
    requested_url: str
    final_url: str
    document: dict[str, Any]


class FetchStatusError(FetchRefusedError):
    """The peer answered with a non-success status."""

    def __init__(self, url: str, status: int) -> None:
        super().__init__(f"{url} answered HTTP {status}")
        self.status = status


class Fetcher:
    """Signed GETs of ActivityPub documents, safely."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        key: Callable[[], SigningKey],
        *,
        allow_private: bool,
        clock: Callable[[], datetime],
        allow_http: bool | None = None,
        permitted: guard.Networks = guard.NO_NETWORKS,
        max_bytes: int = guard.MAX_BYTES,
        timeout: float = guard.TIMEOUT_SECONDS,
    ) -> None:
        self._session = session
        self._key = key
        self._allow_private = allow_private
        self._allow_http = allow_private if allow_http is None else allow_http
        self._permitted = permitted
        self._clock = clock
        self._max_bytes = max_bytes
        self._timeout = timeout
        self.knocks = KnockMemory()

    async def get_json(self, url: str) -> FetchedDocument:
        """Fetch an ActivityPub document; its `id` must be the URL it came from.

        Raises:
            FetchRefusedError: policy refusal, HTTP failure, size, time or type.
            DocumentError: not a JSON object, too deep, or `id` does not match.
        """
        final_url, document = await self._fetch(
            url, signed=True, accept=ACCEPT, content_ok=is_activity_json
        )
        if document.get("id") not in (final_url, url):
            msg = f"document id {document.get('id')!r} does not match {final_url!r}"
            raise DocumentError(msg)
        return FetchedDocument(url, final_url, document)

    async def get_plain_json(self, url: str) -> dict[str, Any]:
        """Unsigned GET of a JSON document (WebFinger, NodeInfo), under the same guard."""
        _final, document = await self._fetch(
            url,
            signed=False,
            accept="application/jrd+json, application/json",
            content_ok=is_json,
        )
        return document

    async def _fetch(
        self, url: str, *, signed: bool, accept: str, content_ok: Callable[[str], bool]
    ) -> tuple[str, dict[str, Any]]:
        try:
            async with asyncio.timeout(self._timeout):
                final_url, body = await self._follow(
                    url, signed=signed, accept=accept, content_ok=content_ok
                )
        except TimeoutError:
            msg = f"fetching {url} took longer than {self._timeout:g} s"
            raise FetchRefusedError(msg) from None
        except aiohttp.ClientError as exc:
            msg = f"fetching {url} failed: {exc.__class__.__name__}"
            raise FetchRefusedError(msg) from None
        try:
            document = jsonshape.parse(body)
        except DocumentError as exc:
            msg = f"{url} did not return usable JSON: {exc}"
            raise DocumentError(msg, code=exc.code) from None  # 401: no key to trust
        if not isinstance(document, dict):
            msg = f"{url} did not return a JSON object"
            raise DocumentError(msg)
        check_shape(document)
        return final_url, document

    async def _follow(
        self, url: str, *, signed: bool, accept: str, content_ok: Callable[[str], bool]
    ) -> tuple[str, bytes]:
        current = url
        for _hop in range(guard.MAX_REDIRECTS + 1):
            current = guard.check_url(
                current,
                allow_private=self._allow_private,
                allow_http=self._allow_http,
                permitted=self._permitted,
            )
            if signed:
                status, headers, body = await self._signed_get(current)
            else:
                status, headers, body = await self._get(
                    current, HttpRequest.build("GET", current, {"accept": accept})
                )
            if status in _REDIRECTS:
                location = headers.get("Location")
                if not location:
                    msg = f"{current} redirected without a Location"
                    raise FetchRefusedError(msg)
                current = urljoin(current, location)
                continue
            if status != 200:
                raise FetchStatusError(current, status)
            if not content_ok(headers.get("Content-Type", "")):
                msg = f"{current} answered {headers.get('Content-Type')!r}, not ActivityPub JSON"
                raise FetchRefusedError(msg)
            return current, body
        msg = f"more than {guard.MAX_REDIRECTS} redirects from {url}"
        raise FetchRefusedError(msg)

    async def _signed_get(self, url: str) -> tuple[int, Any, bytes]:
        async def signed(scheme: SignatureScheme) -> HttpRequest:
            request = HttpRequest.build("GET", url, {"accept": ACCEPT})
            return sign(request, self._key(), scheme, self._clock())

        return await knock(
            self.knocks,
            authority(url),
            signed,
            lambda r: self._get(url, r),
            lambda res: res[0],
        )

    async def _get(self, url: str, request: HttpRequest) -> tuple[int, Any, bytes]:
        headers = {k: v for k, v in request.headers.items() if k != "host"}
        async with self._session.get(
            url, headers=headers, allow_redirects=False
        ) as resp:
            declared = resp.content_length
            if declared is not None and declared > self._max_bytes:
                msg = (
                    f"{url} body is {declared} bytes, over the {self._max_bytes} limit"
                )
                raise FetchRefusedError(msg)
            chunks, size = [], 0
            async for chunk in resp.content.iter_chunked(65536):
                size += len(chunk)
                if size > self._max_bytes:
                    msg = f"{url} body is over the {self._max_bytes} byte limit"
                    raise FetchRefusedError(msg)
                chunks.append(chunk)
            return resp.status, resp.headers, b"".join(chunks)
