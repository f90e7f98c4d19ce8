"""Frozen wire-level values shared across the protocol modules."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit


def _lower_headers(
    headers: Mapping[str, str] | Iterable[tuple[str, str]],
) -> dict[str, str]:
    items = headers.items() if isinstance(headers, Mapping) else headers
    out: dict[str, str] = {}
    for name, value in items:
        key = name.lower()
        out[key] = f"{out[key]}, {value}" if key in out else value
    return out


@dataclass(frozen=True, slots=True)
class HttpRequest:
    """An HTTP request as protocol code sees it: no framework types.

    `url` is the absolute target URI as the sender addressed it (for an incoming
    request: our public base URL + path and query). Header names are lower-cased;
    repeated fields are joined with ", " (RFC 9110 §5.3).
    """

    method: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""

    @classmethod
    def build(
        cls,
        method: str,
        url: str,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] = (),
        body: bytes = b"",
    ) -> HttpRequest:
        return cls(method.upper(), url, _lower_headers(headers), body)

    @property
    def path_and_query(self) -> str:
        parts = urlsplit(self.url)
        return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")

    def with_headers(self, extra: Mapping[str, str]) -> HttpRequest:
        merged = dict(self.headers)
        merged.update({k.lower(): v for k, v in extra.items()})
        return HttpRequest(self.method, self.url, merged, self.body)


SignatureScheme = Literal["cavage", "rfc9421"]


@dataclass(frozen=True, slots=True)
class SignatureClaim:
    """Who a request says signed it, before any key is looked up."""

    scheme: SignatureScheme
    key_id: str


@dataclass(frozen=True, slots=True)
class Verdict:
    """A verified request: the key that signed it and what it covered."""

    key_id: str
    scheme: SignatureScheme
    covered: tuple[str, ...]
