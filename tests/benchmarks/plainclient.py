"""The stack's own fan-out ceiling, for tests.benchmarks.fanout: a plain aiohttp client
that signs and POSTs, and does nothing else a delivery does (no queue, no database)."""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import hashlib
import os
import ssl
import time
from email.utils import formatdate
from typing import Any

import aiohttp
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from federation.sig.keys import generate_rsa


def plain_client(urls: list[str], ca_file: str | None, out: Any) -> None:
    """The stack's own fan-out ceiling: what a delivery cannot skip, and nothing else —
    sign (RSA-2048, draft-cavage with a Digest, on one thread per core as the worker
    does) and POST a 1.2 KB activity with aiohttp (keep-alive, 128 at once) to each of
    `urls`, twice (cold, then warm); puts deliveries/s of each."""
    key = generate_rsa()
    body = b'{"type": "Create", "content": "' + b"x" * 1150 + b'"}'
    digest = "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()
    signers = concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 2)

    def sign(signed: str) -> str:
        raw = key.sign(signed.encode(), padding.PKCS1v15(), hashes.SHA256())
        return base64.b64encode(raw).decode()

    async def run() -> None:
        loop = asyncio.get_running_loop()
        tls = ssl.create_default_context(cafile=ca_file) if ca_file else None
        connector = aiohttp.TCPConnector(limit=128, ssl=tls if tls else True)
        rates = []
        async with aiohttp.ClientSession(connector=connector) as session:

            async def one(url: str) -> None:
                host = url.split("/")[2]
                date = formatdate(usegmt=True)
                signed = (
                    f"(request-target): post /inbox\nhost: {host}\ndate: {date}\n"
                    f"digest: {digest}"
                )
                signature = await loop.run_in_executor(signers, sign, signed)
                headers = {
                    "Date": date,
                    "Digest": digest,
                    "Content-Type": "application/activity+json",
                    "Signature": f'keyId="https://a.example/u#k",algorithm="rsa-sha256",'
                    f'headers="(request-target) host date digest",signature="{signature}"',
                }
                async with session.post(url, data=body, headers=headers) as resp:
                    await resp.read()

            for _ in ("cold", "warm"):
                start = time.perf_counter()
                await asyncio.gather(*(one(u) for u in urls))
                rates.append(len(urls) / (time.perf_counter() - start))
        out.put(rates)

    asyncio.run(run())
