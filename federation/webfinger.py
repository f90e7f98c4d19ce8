"""WebFinger (RFC 7033): parse resources, build and read JRD documents."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote, urlsplit

AP_TYPE = "application/activity+json"
AS_LD_TYPE = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
PROFILE_PAGE = "http://webfinger.net/rel/profile-page"
SUBSCRIBE_REL = "http://ostatus.org/schema/1.0/subscribe"  # remote follow (Mastodon)
APPLICATION_REL = (
    "https://www.w3.org/ns/activitystreams#Application"  # FEP-d556 / FEP-2677
)


class WebFingerError(ValueError):
    """The resource is not something we can answer for (400)."""


@dataclass(frozen=True, slots=True)
class Acct:
    user: str
    host: str

    def __str__(self) -> str:
        return f"acct:{self.user}@{self.host}"


def parse_acct(resource: str) -> Acct:
    """Parse `acct:user@host` (also `user@host` and `@user@host`, as people type them).

    Raises:
        WebFingerError: when it is not of that form.
    """
    text = unquote(resource.strip())
    if text.startswith("acct:"):
        text = text[5:]
    text = text.removeprefix("@")
    user, sep, host = text.rpartition("@")
    if (
        not sep
        or not user
        or not host
        or any(c in user for c in "@/:")
        or "/" in host
        or " " in text
    ):
        msg = f"not an acct: resource: {resource!r}"
        raise WebFingerError(msg)
    return Acct(user, host.lower().rstrip("."))


def build_jrd(
    subject: str,
    actor_url: str,
    *,
    profile_url: str | None = None,
    aliases: list[str] | None = None,
) -> dict[str, Any]:
    """The JRD Mastodon expects: subject, aliases, `self` (+ profile page) links."""
    links: list[dict[str, str]] = [{"rel": "self", "type": AP_TYPE, "href": actor_url}]
    if profile_url:
        links.insert(0, {"rel": PROFILE_PAGE, "type": "text/html", "href": profile_url})
    return {"subject": subject, "aliases": aliases or [actor_url], "links": links}


def build_server_jrd(subject: str, instance_actor_url: str) -> dict[str, Any]:
    """FEP-d556: WebFinger on the server's own URL names the instance actor."""
    return {
        "subject": subject,
        "links": [
            {"rel": "self", "type": AP_TYPE, "href": instance_actor_url},
            {"rel": APPLICATION_REL, "type": AP_TYPE, "href": instance_actor_url},
        ],
    }


def self_link(jrd: Any) -> str:
    """The actor URL in a JRD's `self` link.

    Raises:
        WebFingerError: no usable self link.
    """
    links = jrd.get("links") if isinstance(jrd, dict) else None
    for link in links if isinstance(links, list) else []:
        if (
            isinstance(link, dict)
            and link.get("rel") == "self"
            and link.get("type") in (AP_TYPE, AS_LD_TYPE)
            and isinstance(link.get("href"), str)
        ):
            return str(link["href"])
    msg = "JRD has no ActivityPub self link"
    raise WebFingerError(msg)


def subscribe_url(jrd: Any, *, uri: str, host: str) -> str | None:
    """Where a person whose JRD this is follows `uri` from their own server: the JRD's
    subscribe template expanded (Mastodon's `authorize_interaction?uri={uri}`), when it is
    an http(s) URL on `host` itself (the server that answered); else None. A template that
    sends the visitor to any other host is not followed: a page of ours is no open
    redirect."""
    links = jrd.get("links") if isinstance(jrd, dict) else None
    for link in links if isinstance(links, list) else []:
        if not isinstance(link, dict) or link.get("rel") != SUBSCRIBE_REL:
            continue
        template = link.get("template")
        if not isinstance(template, str) or "{uri}" not in template:
            return None
        url = template.replace("{uri}", quote(uri, safe=""))
        parts = urlsplit(url)
        if parts.scheme not in ("https", "http") or parts.netloc.lower() != host:
            return None
        return url
    return None


def host_meta_xrd(base_url: str) -> str:
    """/.well-known/host-meta pointing at our WebFinger endpoint (RFC 6415)."""
    template = f"{base_url}/.well-known/webfinger?resource={{uri}}"
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">\n'
        f'  <Link rel="lrdd" template="{template}"/>\n'
        "</XRD>\n"
    )
