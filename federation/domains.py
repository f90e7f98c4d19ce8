"""Domains in moderation (pure): one normal form, and matching on label boundaries.

A block of `example.org` covers `example.org`, `sub.example.org` and any port of them, but
not `evil-example.org`; `Example.ORG.`, `example.org:8443` and `bücher.example` are
written as `example.org`, `example.org` and `xn--bcher-kva.example`.
"""

from __future__ import annotations

import functools
import re
from urllib.parse import urlsplit

from federation.origin import CACHED_URL, CACHED_URLS

_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?|[a-z0-9_]")
MAX_HOSTS = 100  # distinct hosts one activity may name before it is refused


class DomainError(ValueError):
    """Not a domain name."""


def normalize(value: str) -> str:
    """The normal form of a domain as an operator types it (or a URL's host).

    Raises:
        DomainError: not a domain name.
    """
    text = value.strip()
    if "://" in text:
        text = urlsplit(text).hostname or ""
    if text.startswith("[") or text.count(":") > 1:  # an IPv6 literal: kept as is
        return text.strip("[]").lower()
    host = text.split(":", 1)[0].rstrip(".").lower()
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        msg = f"{value!r} is not a domain name"
        raise DomainError(msg) from None
    labels = host.split(".")
    if not host or len(host) > 253 or not all(_LABEL.fullmatch(p) for p in labels):
        msg = f"{value!r} is not a domain name"
        raise DomainError(msg)
    return host


def suffixes(host: str) -> list[str]:
    """`host` and every parent domain: a block of any of them covers it."""
    labels = normalize(host).split(".")
    return [".".join(labels[i:]) for i in range(len(labels))]


def host_of(url: str) -> str | None:
    """The normalized host of an http(s) URL, or None (remembered for URLs of
    origin.CACHED_URL or less: every activity names its actor and key again)."""
    return _remembered_host(url) if len(url) <= CACHED_URL else _host(url)


def _host(url: str) -> str | None:
    if not url.startswith(("http://", "https://")):
        return None
    try:
        return _normalized_host(urlsplit(url).hostname or "")
    except (DomainError, ValueError):
        return None


_remembered_host = functools.lru_cache(maxsize=CACHED_URLS)(_host)


@functools.lru_cache(maxsize=8192)
def _normalized_host(hostname: str) -> str:
    """normalize(), remembered: the same few hosts come in every activity (IDNA is slow)."""
    return normalize(hostname)


def covers(domain: str, host: str) -> bool:
    """Whether a block (or allow) of `domain` applies to `host`."""
    return host == domain or host.endswith("." + domain)


def refused(
    hosts: list[str],
    *,
    blocked: frozenset[str],
    allowed: frozenset[str],
    allowlist_mode: bool,
) -> list[str]:
    """The `hosts` we do not federate with: it or a parent domain is blocked, or, in
    allow-list mode, neither it nor a parent is allowed. A host that is not a domain name
    is refused only in allow-list mode (it cannot be blocked by name)."""
    out = []
    for host in hosts:
        try:
            found = set(suffixes(host))
        except DomainError:
            found = set()
        if blocked & found or (allowlist_mode and not allowed & found):
            out.append(host)
    return out
