"""A small remote fediverse peer for tests: a real aiohttp server serving actors it signs for."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from federation.sig import cavage, rfc9421
from federation.sig.keys import generate_rsa, public_pem
from federation.types import HttpRequest

AP = "application/activity+json"


@dataclass
class PeerActor:
    name: str
    key: Any = field(default_factory=generate_rsa)
    key_owner: str | None = None  # override the publicKey owner (hostile peers)
    extra: dict[str, Any] = field(default_factory=dict)


class Peer:
    """Serves /users/{name} documents with their keys; signs requests as them."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.actors: dict[str, PeerActor] = {}
        self.fetches: list[str] = []
        self.received: list[
            tuple[str, dict[str, str], bytes]
        ] = []  # (path, headers, body)
        self.inbox_statuses: list[int] = []  # statuses to answer, in order; then 202
        # the remote-follow template its WebFinger offers, as Mastodon's does
        self.subscribe_template: str | None = (
            f"{base}/authorize_interaction?uri={{uri}}"
        )

    def add(self, name: str, **kw: Any) -> PeerActor:
        self.actors[name] = PeerActor(name, **kw)
        return self.actors[name]

    def actor_id(self, name: str) -> str:
        return f"{self.base}/users/{name}"

    def key_id(self, name: str) -> str:
        return f"{self.actor_id(name)}#main-key"

    def document(self, name: str) -> dict[str, Any]:
        actor = self.actors[name]
        actor_id = self.actor_id(name)
        return {
            "@context": [
                "https://www.w3.org/ns/activitystreams",
                "https://w3id.org/security/v1",
            ],
            "id": actor_id,
            "type": "Person",
            "preferredUsername": name,
            "inbox": f"{actor_id}/inbox",
            "endpoints": {"sharedInbox": f"{self.base}/inbox"},
            "publicKey": {
                "id": self.key_id(name),
                "owner": actor.key_owner or actor_id,
                "publicKeyPem": public_pem(actor.key.public_key()),
            },
            **actor.extra,
        }

    def app(self) -> web.Application:
        async def user(request: web.Request) -> web.Response:
            name = request.match_info["name"]
            self.fetches.append(request.path)
            if name not in self.actors:
                raise web.HTTPNotFound
            return web.json_response(self.document(name), content_type=AP)

        async def inbox(request: web.Request) -> web.Response:
            body = await request.read()
            self.received.append(
                (request.path, {k.lower(): v for k, v in request.headers.items()}, body)
            )
            status = self.inbox_statuses.pop(0) if self.inbox_statuses else 202
            return web.Response(status=status)

        async def webfinger(request: web.Request) -> web.Response:
            user = (
                request.query.get("resource", "").removeprefix("acct:").split("@", 1)[0]
            )
            if user not in self.actors:
                raise web.HTTPNotFound
            host = self.base.split("://", 1)[1]
            links: list[dict[str, str]] = [
                {"rel": "self", "type": AP, "href": self.actor_id(user)}
            ]
            if self.subscribe_template:  # Mastodon's remote-follow link
                links.append(
                    {
                        "rel": "http://ostatus.org/schema/1.0/subscribe",
                        "template": self.subscribe_template,
                    }
                )
            return web.json_response(
                {"subject": f"acct:{user}@{host}", "links": links},
                content_type="application/jrd+json",
            )

        app = web.Application()
        app.router.add_get("/users/{name}", user)
        app.router.add_get("/.well-known/webfinger", webfinger)
        app.router.add_post("/inbox", inbox)
        app.router.add_post("/users/{name}/inbox", inbox)
        return app

    def sign_get(
        self,
        name: str,
        url: str,
        *,
        scheme: str = "cavage",
        now: datetime | None = None,
        key: Any = None,
        key_id: str | None = None,
    ) -> dict[str, str]:
        """Headers for a GET of `url` signed as `name` (or with another key/key id).

        Host is included: the node's public URL differs from the loopback test address,
        as behind a reverse proxy that passes the public Host through.
        """
        request = HttpRequest.build("GET", url, {"accept": AP})
        module = rfc9421 if scheme == "rfc9421" else cavage
        headers = module.sign(
            request,
            key_id=key_id or self.key_id(name),
            private_key=key or self.actors[name].key,
            now=now or datetime.now(UTC),
        )
        return {**request.headers, **headers}

    def sign_post(
        self, name: str, url: str, body: bytes, *, key: Any = None
    ) -> dict[str, str]:
        """Headers for a POST of `body` to `url` signed (cavage, with Digest) as `name`."""
        request = HttpRequest.build("POST", url, {"content-type": AP}, body)
        headers = cavage.sign(
            request,
            key_id=self.key_id(name),
            private_key=key or self.actors[name].key,
            now=datetime.now(UTC),
        )
        return {**request.headers, **headers}

    def activities(self, type_: str) -> list[dict[str, Any]]:
        """Received activities of one type (parsed), in arrival order."""
        found = []
        for _path, _headers, body in self.received:
            doc = json.loads(body)
            if doc.get("type") == type_:
                found.append(doc)
        return found
