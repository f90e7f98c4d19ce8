"""Clients that trickle, against `movement-node serve` as its own process on loopback: a
client that sends its headers or its body a byte at a time is cut off after the client
timeout (408 for a body), the connections beyond the cap get a 503 at once, and the node
serves everyone else meanwhile."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys
from collections.abc import AsyncIterator

import pytest

from tests.conftest import free_port, node_env, until

pytestmark = [pytest.mark.db, pytest.mark.integration]
TIMEOUT = 2  # the node's client_timeout in this test
CAP = 40  # its max_connections
HOST = "127.0.0.1"


@pytest.fixture
async def node(db_dsn: str) -> AsyncIterator[int]:
    port = free_port()
    env = node_env(
        db_dsn,
        MOVEMENT_NODE_URL=f"http://{HOST}:{port}",
        MOVEMENT_NODE_PORT=str(port),
        MOVEMENT_NODE_WORKER_PROCESSES="0",
        MOVEMENT_NODE_LOG_LEVEL="warning",
        MOVEMENT_NODE_CLIENT_TIMEOUT=str(TIMEOUT),
        MOVEMENT_NODE_MAX_CONNECTIONS=str(CAP),
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "node", "serve", env=env
    )
    try:
        await until(lambda: _status(port, "/healthz"), timeout=60, what="the node")
        yield port
    finally:
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.wait(), timeout=30)


async def _request(port: int, raw: bytes) -> bytes:
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        writer.write(raw)
        await writer.drain()
        return await asyncio.wait_for(reader.read(), timeout=10)
    finally:
        writer.close()


async def _status(port: int, path: str) -> int | None:
    try:
        answer = await _request(
            port,
            f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode(),
        )
    except OSError:
        return None
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1") else None


class Trickler:
    """One connection sending `head` then `tail` a byte every 0.2 s; records what the
    server answered and whether it closed the connection."""

    def __init__(self, port: int, head: bytes, tail: bytes) -> None:
        self.port, self.head, self.tail = port, head, tail
        self.answer = b""
        self.closed = False
        self.task: asyncio.Task[None] | None = None

    async def run(self) -> None:
        reader, writer = await asyncio.open_connection(HOST, self.port)
        reading = asyncio.create_task(reader.read())
        try:
            writer.write(self.head)
            for byte in self.tail:
                if reading.done():
                    break
                writer.write(bytes([byte]))
                with contextlib.suppress(ConnectionError):
                    await writer.drain()
                await asyncio.wait([reading], timeout=0.2)
            self.answer = await reading
            self.closed = True
        except ConnectionError:
            self.closed = True
        finally:
            reading.cancel()
            writer.close()


def _trickle(port: int, head: bytes, tail: bytes) -> Trickler:
    t = Trickler(port, head, tail)
    t.task = asyncio.create_task(t.run())
    return t


async def test_trickling_clients_are_cut_off_and_the_rest_are_served(node: int) -> None:
    port = node
    headers = b"POST /actors/node/inbox HTTP/1.1\r\nHost: x\r\nContent-Type: application/activity+json\r\n"
    slow_heads = [
        _trickle(port, b"", headers + b"X-Pad: " + b"a" * 400) for _ in range(15)
    ]
    body = json.dumps({"type": "Follow", "pad": "b" * 400}).encode()
    slow_bodies = [
        _trickle(
            port,
            headers + f"Content-Length: {len(body)}\r\n\r\n".encode(),
            body,
        )
        for _ in range(15)
    ]
    tricklers = slow_heads + slow_bodies
    await asyncio.sleep(0.5)  # all connected and trickling
    # the node answers others meanwhile
    assert await _status(port, "/healthz") == 200
    assert await _status(port, "/.well-known/nodeinfo") == 200
    # each trickler is cut off once the client timeout has passed (they would trickle for
    # 80 s and more otherwise)
    await until(lambda: all(t.closed for t in tricklers), timeout=TIMEOUT * 6)
    for t in slow_bodies:
        assert t.answer.startswith(b"HTTP/1.1 408"), t.answer[:80]
        assert (
            b'"error": "body_timeout"' in t.answer
            or b'"error":"body_timeout"' in t.answer
        )
    for t in slow_heads:
        assert t.answer == b""  # closed before a request was read: nothing to answer
    assert await _status(port, "/healthz") == 200


async def test_connections_beyond_the_cap_get_a_503_at_once(node: int) -> None:
    port = node
    idle = [await asyncio.open_connection(HOST, port) for _ in range(CAP)]
    try:
        await asyncio.sleep(0.2)
        reader, writer = await asyncio.open_connection(HOST, port)
        answer = await asyncio.wait_for(reader.read(), timeout=5)
        writer.close()
        assert answer.startswith(b"HTTP/1.1 503"), answer[:80]
        assert b"Retry-After: 5" in answer
        assert (
            json.loads(answer.split(b"\r\n\r\n", 1)[1])["error"]
            == "too_many_connections"
        )
    finally:
        for _r, w in idle:
            w.close()
    # the idle ones are gone (closed by us, or by the node after the client timeout)
    await until(lambda: _ok(port), timeout=TIMEOUT * 4)


async def _ok(port: int) -> bool:
    return await _status(port, "/healthz") == 200
