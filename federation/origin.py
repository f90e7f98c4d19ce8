"""Host normalisation and origins as (scheme, host, port) tuples (never string tricks).

Mastodon CVE-2023-42451 came from comparing hosts as strings; we normalise once (IDNA,
lower case, one trailing dot stripped) and compare tuples.
"""

from __future__ import annotations

import functools
from typing import NamedTuple
from urllib.parse import urlsplit

from federation.errors import OriginMismatchError

_DEFAULT_PORTS = {"http": 80, "https": 443}


class Origin(NamedTuple):
    scheme: str
    host: str
    port: int


def normalize_host(host: str) -> str:
    """IDNA-encode, lower-case and strip one trailing dot; IP literals pass through."""
    host = host.strip()
    if host.endswith("."):
        host = host[:-1]
    if not host or host.endswith("."):
        msg = f"invalid host {host!r}"
        raise ValueError(msg)
    if host.startswith("[") or ":" in host:
        return host.lower()
    try:
        return host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        msg = f"invalid host {host!r}"
        raise ValueError(msg) from None


# URLs remembered by origin_of and domains.host_of are at most this long, so a flood of
# huge ones (they are read before any signature is checked) cannot fill memory: at most
# 8,192 of 2 KB each, 16 MB, per cache
CACHED_URL = 2048
CACHED_URLS = 8192


def origin_of(url: str) -> Origin:
    """The origin of an absolute http(s) URL (remembered for URLs of CACHED_URL or less:
    the same actors and keys come in every activity).

    Raises:
        ValueError: for anything that is not an absolute http(s) URL with a host.
    """
    return _remembered_origin(url) if len(url) <= CACHED_URL else _origin(url)


def _origin(url: str) -> Origin:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        msg = f"not an absolute http(s) URL: {url!r}"
        raise ValueError(msg)
    port = parts.port or _DEFAULT_PORTS[scheme]
    return Origin(scheme, normalize_host(parts.hostname), port)


_remembered_origin = functools.lru_cache(maxsize=CACHED_URLS)(_origin)


def same_origin(a: str, b: str) -> bool:
    try:
        return origin_of(a) == origin_of(b)
    except ValueError:
        return False


def require_same_origin(a: str, b: str, what: str) -> None:
    if not same_origin(a, b):
        msg = f"{what}: {a!r} and {b!r} are not on the same origin"
        raise OriginMismatchError(msg)


def authority(url: str) -> str:
    """host[:port] as written in acct: handles and the Host header (default port omitted)."""
    origin = origin_of(url)
    if origin.port == _DEFAULT_PORTS[origin.scheme]:
        return origin.host
    return f"{origin.host}:{origin.port}"
