"""Inbox benchmark: prints figures (no assertions).

Run: python -m tests.benchmarks.inbox [SECONDS per step, default 15] [SENDERS…, default 10 50 200]
(`bad` alone as SENDERS: only the bad-signature step)

What Mastodon sends: a `Create{Note}` of about 2.2 KB with Mastodon's own inline @context,
signed (draft-cavage, Digest) by one of SENDERS actors on a peer host, each sender POSTing
one activity after the other (as a server's delivery queue does for one inbox). The node is
`movement-node serve` as it runs by default (web process and its worker), in its own
process; its per-actor and per-host rate limits are raised out of the way (they exist to
stop floods, not to be measured). The senders run in their own process, their requests
signed before the clock starts.

The ceiling, in the same run: a plain aiohttp handler in its own process doing the work an
inbox cannot skip — read the body, check the Digest, verify the RSA signature with a key
held in memory, parse the JSON, one INSERT — and answering 202.

It prints activities stored per second, p50 and p99 latency, the ratio to the ceiling and
how long after the step the node's workers had applied all of them (they run at a lower CPU
priority than intake, `worker_nice`, and catch up once the load ends),
for valid activities at each SENDERS count and for bad signatures at 50 senders (the node:
401s per second; the plain handler: its verify-and-refuse rate).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import itertools
import json
import multiprocessing
import re
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
from aiohttp import web
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from node.storage.embedded import running
from tests.benchmarks.readpath import wait_healthy
from tests.conftest import free_port, node_env
from tests.federation.test_jsonld import MASTODON_CONTEXT
from tests.peer import Peer

PEER_HOST = "127.0.6.1"  # sender i is the one actor of a server on 127.0.6.(i+1)
BAD_SENDERS = 50
# valid activities a second no run here exceeds: what is signed in advance
CEILING = 3000
# bad-signature requests each sender prepares and sends round and round
BAD_PREPARED = 100


def _keys(senders: int) -> list[str]:
    return [
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
        for _ in range(senders)
    ]


def _base(i: int, port: int) -> str:
    return f"http://127.0.6.{i + 1}:{port}"


def _peers(port: int, pems: list[str]) -> list[Peer]:
    """Sender i: actor `s` on its own server (each server's key fetches have their own
    budget at the node, as real servers do)."""
    peers = []
    for i, pem in enumerate(pems):
        peer = Peer(_base(i, port))
        peer.add("s", key=serialization.load_pem_private_key(pem.encode(), None))
        peers.append(peer)
    return peers


def _peer(port: int, pems: list[str], ready: Any) -> None:
    """The senders' servers: their actor documents (the node fetches each key once)."""

    async def serve() -> None:
        for i, peer in enumerate(_peers(port, pems)):
            runner = web.AppRunner(peer.app(), access_log=None)
            await runner.setup()
            await web.TCPSite(runner, f"127.0.6.{i + 1}", port).start()
        ready.set()
        await asyncio.sleep(3600)

    asyncio.run(serve())


def _activity(peer_base: str, n: int) -> bytes:
    actor = f"{peer_base}/users/s"
    status = f"{actor}/statuses/{n}"
    note = {
        "id": status,
        "type": "Note",
        "summary": None,
        "inReplyTo": None,
        "published": "2026-12-01T12:00:00Z",
        "url": f"{peer_base}/@s/{n}",
        "attributedTo": actor,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "cc": [f"{actor}/followers"],
        "sensitive": False,
        "atomUri": status,
        "inReplyToAtomUri": None,
        "conversation": f"tag:{PEER_HOST},2026-12-01:objectId={n}:objectType=Conversation",
        "content": "<p>"
        + "The rent strike assembly meets tonight at the union hall; bring your neighbours. "
        * 6
        + '<a href="https://x.example/tags/housing" class="mention hashtag">#<span>housing</span></a></p>',
        "contentMap": {"en": "<p>The rent strike assembly meets tonight.</p>"},
        "attachment": [],
        "tag": [
            {
                "type": "Hashtag",
                "href": "https://x.example/tags/housing",
                "name": "#housing",
            }
        ],
        "replies": {
            "id": f"{status}/replies",
            "type": "Collection",
            "first": {
                "type": "CollectionPage",
                "next": f"{status}/replies?only_other_accounts=true&page=true",
                "partOf": f"{status}/replies",
                "items": [],
            },
        },
        "likes": {"id": f"{status}/likes", "type": "Collection", "totalItems": 0},
        "shares": {"id": f"{status}/shares", "type": "Collection", "totalItems": 0},
    }
    create = {
        "@context": MASTODON_CONTEXT,
        "id": f"{status}/activity",
        "type": "Create",
        "actor": actor,
        "published": "2026-12-01T12:00:00Z",
        "to": note["to"],
        "cc": note["cc"],
        "object": note,
    }
    return json.dumps(create).encode()


def _senders(
    url: str,
    port: int,
    pems: list[str],
    seconds: float,
    bad: bool,
    out: Any,
    per_sender: int | None = None,
) -> None:
    """Sign the requests, then POST them as len(pems) sequential senders for `seconds`."""
    peers = _peers(port, pems)
    # a refused request can be sent again (nothing of it is kept), so bad signatures
    # cycle through a few; valid activities are each new (a repeat would be a duplicate)
    per_sender = per_sender or (
        BAD_PREPARED if bad else max(4, int(CEILING * seconds) // len(pems))
    )
    nonce = time.time_ns()
    prepared: list[list[tuple[bytes, dict[str, str]]]] = []
    for peer in peers:
        mine = []
        for n in range(per_sender):
            body = _activity(peer.base, nonce + n)
            headers = peer.sign_post("s", url, body)
            if bad:  # a signature that cannot verify: another value, same shape
                name = next(k for k in headers if k.lower() == "signature")
                headers[name] = re.sub(
                    r'signature="[^"]{8}', 'signature="AAAAAAAA', headers[name]
                )
            mine.append((body, headers))
        prepared.append(mine)

    async def run() -> None:
        latencies: list[float] = []
        answered: dict[int, int] = {}
        deadline = time.perf_counter() + seconds
        exhausted = 0

        async def sender(
            items: list[tuple[bytes, dict[str, str]]], session: aiohttp.ClientSession
        ) -> None:
            nonlocal exhausted
            for body, headers in itertools.cycle(items) if bad else items:
                if time.perf_counter() > deadline:
                    return
                start = time.perf_counter()
                async with session.post(url, data=body, headers=headers) as resp:
                    await resp.read()
                    answered[resp.status] = answered.get(resp.status, 0) + 1
                latencies.append(time.perf_counter() - start)
            exhausted += 1

        connector = aiohttp.TCPConnector(limit=len(pems))
        timeout = aiohttp.ClientTimeout(total=30)
        async with aiohttp.ClientSession(
            connector=connector, timeout=timeout
        ) as session:
            begin = time.perf_counter()
            await asyncio.gather(*(sender(items, session) for items in prepared))
            elapsed = time.perf_counter() - begin
        latencies.sort()
        out.put(
            {
                "rate": len(latencies) / elapsed,
                "p50": latencies[len(latencies) // 2] * 1000,
                "p99": latencies[int(len(latencies) * 0.99) - 1] * 1000,
                "answered": answered,
                "exhausted": exhausted,
            }
        )

    asyncio.run(run())


def _plain(port: int, dsn: str, pems: list[str], peer_port: int, ready: Any) -> None:
    """The ceiling: digest, RSA verify (key in memory), JSON, one INSERT, 202."""
    keys: dict[str, rsa.RSAPublicKey] = {}
    for i, pem in enumerate(pems):
        private = serialization.load_pem_private_key(pem.encode(), None)
        assert isinstance(private, rsa.RSAPrivateKey)
        keys[f"{_base(i, peer_port)}/users/s#main-key"] = private.public_key()
    field = re.compile(r'(\w+)="([^"]*)"')

    async def serve() -> None:
        pool = await asyncpg.create_pool(dsn, min_size=4, max_size=10)
        await pool.execute(
            "CREATE TABLE IF NOT EXISTS bench_inbox (id text PRIMARY KEY, body jsonb NOT NULL)"
        )

        async def inbox(request: web.Request) -> web.Response:
            body = await request.read()
            digest = (
                "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()
            )
            if request.headers.get("Digest") != digest:
                return web.Response(status=401)
            params = dict(field.findall(request.headers.get("Signature", "")))
            signed = "\n".join(
                f"(request-target): post {request.path}"
                if h == "(request-target)"
                else f"{h}: {request.headers.get(h, '')}"
                for h in params.get("headers", "").split()
            )
            try:
                keys[params["keyId"]].verify(
                    base64.b64decode(params["signature"]),
                    signed.encode(),
                    padding.PKCS1v15(),
                    hashes.SHA256(),
                )
            except Exception:  # noqa: BLE001 - any failure is a refusal
                return web.Response(status=401)
            activity = json.loads(body)
            await pool.execute(
                "INSERT INTO bench_inbox (id, body) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                activity["id"],
                body.decode(),
            )
            return web.Response(status=202)

        app = web.Application(client_max_size=1024**2)
        app.router.add_post("/inbox", inbox)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        ready.set()
        await asyncio.sleep(3600)

    asyncio.run(serve())


def measure(
    url: str,
    port: int,
    pems: list[str],
    seconds: float,
    bad: bool,
    per_sender: int | None = None,
) -> dict[str, Any]:
    out: Any = multiprocessing.Queue()
    proc = multiprocessing.Process(
        target=_senders, args=(url, port, pems, seconds, bad, out, per_sender)
    )
    proc.start()
    result: dict[str, Any] = out.get(timeout=seconds * 20 + 300)
    proc.join()
    return result


async def _applied_after(dsn: str) -> float:
    """Seconds from the end of a step until the node's workers have applied every
    activity it stored (they yield the cores to intake under load and catch up after)."""
    start = time.monotonic()
    conn = await asyncpg.connect(dsn)
    try:
        while await conn.fetchval(
            "SELECT count(*) FROM inbox WHERE processed_at IS NULL AND attempts < 5"
        ):
            await asyncio.sleep(0.2)
    finally:
        await conn.close()
    return time.monotonic() - start


async def main(seconds: float, counts: list[int]) -> None:
    pems = _keys(max([*counts, BAD_SENDERS]))
    with tempfile.TemporaryDirectory() as tmp, running(Path(tmp) / "pgdata") as dsn:
        peer_port = free_port(PEER_HOST)
        ready = multiprocessing.Event()
        multiprocessing.Process(
            target=_peer, args=(peer_port, pems, ready), daemon=True
        ).start()
        ready.wait(60)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = node_env(
            dsn,
            MOVEMENT_NODE_URL=url,
            MOVEMENT_NODE_PORT=str(port),
            MOVEMENT_NODE_DATA_DIR=tmp,
            MOVEMENT_NODE_LOG_LEVEL="error",
            MOVEMENT_NODE_ALLOW_PRIVATE_NETWORK="true",
            MOVEMENT_NODE_RATE_INBOX_ACTOR="1000000",
            MOVEMENT_NODE_RATE_INBOX_HOST="1000000",
        )
        node = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "node", "serve", env=env
        )
        plain_port = free_port()
        plain_ready = multiprocessing.Event()
        plain = multiprocessing.Process(
            target=_plain,
            args=(plain_port, dsn, pems, peer_port, plain_ready),
            daemon=True,
        )
        plain.start()
        plain_ready.wait(60)
        try:
            await wait_healthy(url)
            # each sender's key fetched once (a real node has its peers' keys cached)
            warm = measure(f"{url}/inbox", peer_port, pems, 30.0, False, per_sender=1)
            print(f"keys fetched once: {warm['answered']}", flush=True)
            print(
                f"{seconds:g} s per step; a {len(_activity(_base(0, peer_port), 0))}-byte Create{{Note}} with Mastodon's context"
            )
            print(
                f"{'case':22} {'node/s':>8} {'p50':>7} {'p99':>8} {'plain/s':>8} {'p99':>7} {'ratio':>6}"
            )
            for count, bad in [*((c, False) for c in counts), (BAD_SENDERS, True)]:
                n = measure(f"{url}/inbox", peer_port, pems[:count], seconds, bad)
                lag = await _applied_after(dsn)
                p = measure(
                    f"http://127.0.0.1:{plain_port}/inbox",
                    peer_port,
                    pems[:count],
                    seconds,
                    bad,
                )
                case = f"{count} senders" + (", bad sig" if bad else "")
                print(
                    f"{case:22} {n['rate']:>8.0f} {n['p50']:>7.1f} {n['p99']:>8.1f} "
                    f"{p['rate']:>8.0f} {p['p99']:>7.1f} {n['rate'] / p['rate']:>6.2f}"
                    f"   node answers {n['answered']}"
                    + ("" if bad else f", all applied {lag:.1f} s after the last")
                    + "".join(
                        f", {who}: {r['exhausted']} senders ran out of prepared requests"
                        for who, r in (("node", n), ("plain", p))
                        if r["exhausted"]
                    )
                )
        finally:
            plain.kill()
            node.send_signal(signal.SIGTERM)
            await node.wait()


if __name__ == "__main__":
    asyncio.run(
        main(
            float(sys.argv[1]) if len(sys.argv) > 1 else 15.0,
            []
            if sys.argv[2:] == ["bad"]
            else [int(a) for a in sys.argv[2:]] or [10, 50, 200],
        )
    )
