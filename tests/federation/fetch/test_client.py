"""The safe fetcher against real (hostile) aiohttp servers on loopback."""

import asyncio
import ipaddress
import json
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult

from federation.errors import DocumentError, FetchRefusedError
from federation.fetch.client import Fetcher, FetchStatusError, create_session
from federation.sig.keys import generate_rsa
from federation.sig.knock import SigningKey
from tests.conftest import free_port

HOST = "127.0.0.2"
PERMITTED = frozenset({ipaddress.ip_network("127.0.0.2/32")})
KEY = SigningKey("https://us.example/actor#main-key", generate_rsa())
AP = "application/activity+json"


def _hostile_app(base: str) -> web.Application:
    async def doc(request: web.Request) -> web.Response:
        return web.json_response({"id": f"{base}/doc", "type": "Note"}, content_type=AP)

    async def wrong_id(request: web.Request) -> web.Response:
        return web.json_response(
            {"id": "https://elsewhere.example/doc", "type": "Note"}, content_type=AP
        )

    async def to_private(request: web.Request) -> web.Response:
        raise web.HTTPFound("http://127.0.0.1:9/secret")

    async def loop(request: web.Request) -> web.Response:
        n = int(request.match_info["n"])
        raise web.HTTPFound(f"{base}/loop/{n + 1}")

    async def huge(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": AP})
        await resp.prepare(request)
        for _ in range(20):
            await resp.write(b" " * 65536)
        await resp.write_eof()
        return resp

    async def huge_declared(request: web.Request) -> web.Response:
        return web.Response(
            body=b"{" + b" " * (2 * 1024 * 1024) + b"}", content_type=AP
        )

    async def slow(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": AP})
        await resp.prepare(request)
        await resp.write(b'{"id": ')
        await asyncio.sleep(3)
        await resp.write(b'"x"}')
        return resp

    async def html(request: web.Request) -> web.Response:
        return web.Response(
            text=json.dumps({"id": f"{base}/html"}), content_type="text/html"
        )

    async def plain_ld(request: web.Request) -> web.Response:
        return web.Response(
            text=json.dumps({"id": f"{base}/ld"}), content_type="application/ld+json"
        )

    async def deep(request: web.Request) -> web.Response:
        nested: Any = {"id": f"{base}/deep"}
        inner: Any = nested
        for _ in range(70):
            inner["x"] = {}
            inner = inner["x"]
        return web.json_response(nested, content_type=AP)

    async def needs_rfc9421(request: web.Request) -> web.Response:
        if "Signature-Input" not in request.headers:
            return web.Response(status=401)
        return web.json_response({"id": f"{base}/picky"}, content_type=AP)

    app = web.Application()
    app.router.add_get("/doc", doc)
    app.router.add_get("/wrong-id", wrong_id)
    app.router.add_get("/to-private", to_private)
    app.router.add_get("/loop/{n}", loop)
    app.router.add_get("/huge", huge)
    app.router.add_get("/huge-declared", huge_declared)
    app.router.add_get("/slow", slow)
    app.router.add_get("/html", html)
    app.router.add_get("/ld", plain_ld)
    app.router.add_get("/deep", deep)
    app.router.add_get("/picky", needs_rfc9421)
    return app


@pytest.fixture
async def hostile(aiohttp_server: Any) -> str:
    port = free_port(HOST)
    base = f"http://{HOST}:{port}"
    await aiohttp_server(_hostile_app(base), host=HOST, port=port)
    return base


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    session = create_session(allow_private=False, permitted=PERMITTED)
    try:
        yield Fetcher(
            session,
            lambda: KEY,
            allow_private=False,
            allow_http=True,
            permitted=PERMITTED,
            clock=lambda: datetime.now(UTC),
            timeout=1.0,
        )
    finally:
        await session.close()


async def test_fetches_a_document_whose_id_is_its_url(
    hostile: str, fetcher: Fetcher
) -> None:
    got = await fetcher.get_json(f"{hostile}/doc")
    assert got.document["type"] == "Note"


async def test_id_not_matching_url_is_rejected(hostile: str, fetcher: Fetcher) -> None:
    with pytest.raises(DocumentError, match="does not match"):
        await fetcher.get_json(f"{hostile}/wrong-id")


async def test_redirect_to_private_address_is_refused(
    hostile: str, fetcher: Fetcher
) -> None:
    with pytest.raises(FetchRefusedError, match=r"127\.0\.0\.1.*loopback"):
        await fetcher.get_json(f"{hostile}/to-private")


async def test_more_than_three_redirects_are_refused(
    hostile: str, fetcher: Fetcher
) -> None:
    with pytest.raises(FetchRefusedError, match="more than 3 redirects"):
        await fetcher.get_json(f"{hostile}/loop/0")


@pytest.mark.parametrize(
    "path", ["huge", "huge-declared"], ids=["streamed", "declared"]
)
async def test_oversize_body_is_refused(
    hostile: str, fetcher: Fetcher, path: str
) -> None:
    with pytest.raises(FetchRefusedError, match="limit"):
        await fetcher.get_json(f"{hostile}/{path}")


async def test_slow_body_times_out(hostile: str, fetcher: Fetcher) -> None:
    with pytest.raises(FetchRefusedError, match="longer than"):
        await fetcher.get_json(f"{hostile}/slow")


@pytest.mark.parametrize(
    "path", ["html", "ld"], ids=["text-html", "ld-json-without-profile"]
)
async def test_non_activitypub_content_type_is_refused(
    hostile: str, fetcher: Fetcher, path: str
) -> None:
    with pytest.raises(FetchRefusedError, match="not ActivityPub JSON"):
        await fetcher.get_json(f"{hostile}/{path}")


async def test_deeply_nested_json_is_refused(hostile: str, fetcher: Fetcher) -> None:
    with pytest.raises(DocumentError, match="nested deeper"):
        await fetcher.get_json(f"{hostile}/deep")


async def test_double_knock_retries_with_rfc9421_and_remembers(
    hostile: str, fetcher: Fetcher
) -> None:
    got = await fetcher.get_json(f"{hostile}/picky")
    assert got.document["id"].endswith("/picky")
    assert fetcher.knocks.first_scheme(hostile.split("://")[1]) == "rfc9421"


async def test_unreachable_status_is_reported(hostile: str, fetcher: Fetcher) -> None:
    with pytest.raises(FetchStatusError) as caught:
        await fetcher.get_json(f"{hostile}/nothing-here")
    assert caught.value.status == 404


class _Rebinding(AbstractResolver):
    """A resolver that answers every name with a loopback address (DNS rebinding)."""

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        return [
            {
                "hostname": host,
                "host": "127.0.0.1",
                "port": port,
                "family": socket.AF_INET,
                "proto": 0,
                "flags": 0,
            }
        ]

    async def close(self) -> None:
        return None


async def test_name_resolving_to_loopback_is_refused_at_connect_time() -> None:
    session = create_session(allow_private=False, resolver=_Rebinding())
    try:
        fetcher = Fetcher(
            session, lambda: KEY, allow_private=False, clock=lambda: datetime.now(UTC)
        )
        with pytest.raises(FetchRefusedError, match=r"forbidden addresses|fetching"):
            await fetcher.get_json("https://innocent.example/actor")
    finally:
        await session.close()
