"""Which URLs and addresses a remote fetch may reach (pure; resolved IPs passed in).

Checked: scheme (https, http only for local test federations), no credentials in the
URL, and every address a connection would use: never private, loopback, link-local,
multicast, CGNAT (100.64/10), reserved or unspecified, also when written as an
IPv4-mapped, NAT64, 6to4 or Teredo IPv6 address.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from federation.errors import FetchRefusedError
from federation.origin import normalize_host

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
MAX_REDIRECTS = 3
MAX_BYTES = 1024 * 1024
TIMEOUT_SECONDS = 10.0


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    found = []
    if ip.ipv4_mapped is not None:
        found.append(ip.ipv4_mapped)
    if ip in _NAT64:
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    if ip.sixtofour is not None:
        found.append(ip.sixtofour)
    if ip.teredo is not None:
        found.extend(ip.teredo)
    return found


def forbidden_reason(ip: IPAddress) -> str | None:
    """Why `ip` must not be reached, or None when it is a public unicast address."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:  # ::ffff:a.b.c.d is a.b.c.d on the wire
            reason = forbidden_reason(ip.ipv4_mapped)
            return None if reason is None else f"{reason} (embedded in {ip})"
        if ip in _NAT64_LOCAL:
            return "local-use NAT64 address"
        for inner in _embedded_ipv4(ip):
            if reason := forbidden_reason(inner):
                return f"{reason} (embedded in {ip})"
    if ip.is_loopback:
        return "loopback address"
    if ip.is_multicast:
        return "multicast address"
    if ip.is_link_local:
        return "link-local address"
    if ip.is_unspecified:
        return "unspecified address"
    if ip.is_private:
        return "private address"
    if ip.is_reserved:
        return "reserved address"
    if not ip.is_global:  # CGNAT 100.64/10 and other special-purpose ranges
        return "non-global address"
    return None


Networks = frozenset[ipaddress.IPv4Network | ipaddress.IPv6Network]
NO_NETWORKS: Networks = frozenset()


def check_address(
    ip: str, *, allow_private: bool, permitted: Networks = NO_NETWORKS
) -> None:
    """Refuse an address a connection is about to use.

    `permitted` lists networks allowed despite being private (a local test federation
    that allows some loopback hosts but not others).

    Raises:
        FetchRefusedError: naming the kind of address.
    """
    if allow_private:
        return
    try:
        parsed = ipaddress.ip_address(ip.split("%", 1)[0])
    except ValueError:
        msg = f"not an IP address: {ip!r}"
        raise FetchRefusedError(msg) from None
    if any(parsed in net for net in permitted):
        return
    if reason := forbidden_reason(parsed):
        msg = f"refusing to connect to {parsed}: {reason}"
        raise FetchRefusedError(msg)


def check_url(
    url: str,
    *,
    allow_private: bool,
    allow_http: bool | None = None,
    permitted: Networks = NO_NETWORKS,
) -> str:
    """Validate a URL before fetching it; return it with its host normalised.

    Raises:
        FetchRefusedError: scheme, credentials, missing host, or an IP literal that is forbidden.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        msg = f"malformed URL {url!r}"
        raise FetchRefusedError(msg) from None
    allowed = (
        ("https", "http")
        if (allow_private if allow_http is None else allow_http)
        else ("https",)
    )
    if parts.scheme not in allowed:
        msg = f"scheme {parts.scheme!r} not allowed (only {', '.join(allowed)})"
        raise FetchRefusedError(msg)
    if not parts.hostname:
        msg = f"URL has no host: {url!r}"
        raise FetchRefusedError(msg)
    if parts.username is not None or parts.password is not None:
        msg = "URLs with credentials are refused"
        raise FetchRefusedError(msg)
    try:
        host = normalize_host(parts.hostname)
    except ValueError as exc:
        raise FetchRefusedError(str(exc)) from None
    try:
        literal = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        literal = None
    if literal is not None:
        check_address(str(literal), allow_private=allow_private, permitted=permitted)
    elif not allow_private and (host == "localhost" or host.endswith(".localhost")):
        msg = "refusing to fetch from localhost"
        raise FetchRefusedError(msg)
    netloc = f"[{host}]" if ":" in host and literal is not None else host
    if port is not None:
        netloc = f"{netloc}:{port}"
    return parts._replace(netloc=netloc).geturl()
