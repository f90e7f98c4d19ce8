"""Outgoing TLS connections hold a small read buffer and still read large bodies whole."""

import hashlib
import ipaddress
import ssl
from pathlib import Path

from aiohttp import web

from federation.fetch.client import TLS_READ_BUFFER, create_session
from tests.conftest import free_port
from tests.tls import tls_files

HOST = "127.0.0.2"


async def test_a_tls_connection_reads_a_large_body_through_a_32_kib_buffer(
    tmp_path: Path,
) -> None:
    ca_file, chain = tls_files(tmp_path, (HOST,))
    body = bytes(range(256)) * 3600  # 900 KiB, 28 times the buffer
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(chain)

    async def big(_: web.Request) -> web.Response:
        return web.Response(body=body, content_type="application/activity+json")

    app = web.Application()
    app.router.add_get("/big", big)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port(HOST)
    await web.TCPSite(runner, HOST, port, ssl_context=server_tls).start()
    session = create_session(
        allow_private=False, permitted=frozenset({ipaddress.ip_network(HOST)})
    )
    try:
        trusted = ssl.create_default_context(cafile=str(ca_file))
        async with session.get(f"https://{HOST}:{port}/big", ssl=trusted) as resp:
            assert resp.connection is not None
            # asyncio's SSLProtocol under aiohttp's: what holds each connection's buffer
            ssl_protocol = resp.connection.transport._ssl_protocol  # type: ignore[union-attr]
            assert len(ssl_protocol._ssl_buffer) == TLS_READ_BUFFER == 32 * 1024
            got = await resp.read()
        assert hashlib.sha256(got).digest() == hashlib.sha256(body).digest()
    finally:
        await session.close()
        await runner.cleanup()
