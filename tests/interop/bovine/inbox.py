"""bovine as a peer of the interop suite (run with the bovine venv's Python by
tests/interop/test_bovine.py): one actor whose inbox checks every POST with bovine's own
HTTP signature verifier (draft-cavage and RFC 9421), logging one JSON line per request.

    python inbox.py HOST PORT LOG [--rfc9421-only]

Unverified requests are answered 401 (so a sender may knock again with RFC 9421);
--rfc9421-only answers 401 to every draft-cavage signature as well.
"""

import json
import sys

import aiohttp
from aiohttp import web
from bovine.crypto import (
    build_validate_http_signature_raw,
    generate_rsa_public_private_key,
)
from bovine.crypto.types import CryptographicIdentifier

HOST, PORT, LOG = sys.argv[1], int(sys.argv[2]), sys.argv[3]
RFC9421_ONLY = "--rfc9421-only" in sys.argv
BASE = f"http://{HOST}:{PORT}"
ACTOR = f"{BASE}/actor"
PUBLIC, _PRIVATE = generate_rsa_public_private_key()


async def retrieve(key_id: str) -> CryptographicIdentifier | None:
    async with (
        aiohttp.ClientSession() as session,
        session.get(key_id, headers={"accept": "application/activity+json"}) as resp,
    ):
        data = await resp.json(content_type=None)
    key = data.get("publicKey", data)
    if isinstance(key, list):
        key = next(k for k in key if k.get("id") == key_id)
    return CryptographicIdentifier.from_pem(key["publicKeyPem"], key["owner"])


validate = build_validate_http_signature_raw(retrieve)


async def actor(_request: web.Request) -> web.Response:
    return web.json_response(
        {
            "@context": [
                "https://www.w3.org/ns/activitystreams",
                "https://w3id.org/security/v1",
            ],
            "id": ACTOR,
            "type": "Person",
            "preferredUsername": "bovine",
            "inbox": f"{BASE}/inbox",
            "outbox": f"{BASE}/outbox",
            "publicKey": {
                "id": f"{ACTOR}#main-key",
                "owner": ACTOR,
                "publicKeyPem": PUBLIC,
            },
        },
        content_type="application/activity+json",
    )


async def inbox(request: web.Request) -> web.Response:
    body = await request.read()
    headers = {k.lower(): v for k, v in request.headers.items()}
    scheme = "rfc9421" if "signature-input" in headers else "cavage"

    async def read() -> bytes:
        return body

    owner = None
    if not (RFC9421_ONLY and scheme == "cavage"):
        owner = await validate(request.method, str(request.url), headers, read)
    activity = json.loads(body)
    with open(LOG, "a") as log:
        log.write(
            json.dumps(
                {
                    "type": activity.get("type"),
                    "actor": activity.get("actor"),
                    "owner": owner,
                    "scheme": scheme,
                }
            )
            + "\n"
        )
    return web.Response(status=202 if owner else 401)


app = web.Application()
app.router.add_get("/actor", actor)
app.router.add_post("/inbox", inbox)
web.run_app(app, host=HOST, port=PORT, print=None)
