"""Hostile requests over real HTTP: each gets a precise 4xx with a stable code, stores
nothing (no new row in any table) and makes no request out where none is needed."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

import pytest

from federation.sig import cavage
from federation.sig.keys import generate_rsa
from federation.types import HttpRequest
from node.runtime import appkeys
from node.services.actors import create_actor
from node.storage.db import Pool
from tests.integration.test_movement import _follow
from tests.peer import AP, Peer

pytestmark = [pytest.mark.db, pytest.mark.integration]


async def table_counts(pool: Pool) -> dict[str, int]:
    """Rows in every table of the node's schema."""
    tables = await pool.fetch(
        """SELECT tablename FROM pg_tables WHERE schemaname = 'public'
           AND tablename <> 'schema_migrations' ORDER BY tablename"""
    )
    return {
        t["tablename"]: await pool.fetchval(f'SELECT count(*) FROM "{t["tablename"]}"')
        for t in tables
    }


@pytest.fixture
async def node(make_client: Any) -> Any:
    client = await make_client()
    await create_actor(client.app[appkeys.DB], kind="group", name="tenants")
    return client


def _base(node: Any) -> str:
    return str(node.app[appkeys.SETTINGS].url)


def _like(peer: Peer, node: Any, who: str = "alice") -> bytes:
    return json.dumps(
        {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{peer.actor_id(who)}#likes/{uuid.uuid4()}",
            "type": "Like",
            "actor": peer.actor_id(who),
            "object": f"{_base(node)}/actors/tenants",
        }
    ).encode()


def _signed(
    peer: Peer,
    url: str,
    body: bytes,
    *,
    now: datetime | None = None,
    key: Any = None,
    key_id: str | None = None,
) -> dict[str, str]:
    request = HttpRequest.build("POST", url, {"content-type": AP}, body)
    headers = cavage.sign(
        request,
        key_id=key_id or peer.key_id("alice"),
        private_key=key or peer.actors["alice"].key,
        now=now or datetime.now(UTC),
    )
    return {**request.headers, **headers}


async def _refused(
    node: Any, body: bytes, headers: dict[str, str], status: int, code: str
) -> None:
    pool = node.app[appkeys.DB]
    before = await table_counts(pool)
    resp = await node.post("/inbox", data=body, headers=headers)
    assert resp.status == status, await resp.text()
    refusal = await resp.json()
    assert refusal["error"] == code, refusal
    assert refusal["message"]
    assert await table_counts(pool) == before, "a refusal stores nothing"


async def test_a_delivery_signed_for_another_server_is_not_replayed_to_us(
    node: Any, peer: Peer
) -> None:
    body = _like(peer, node)
    headers = _signed(peer, "https://other.example/inbox", body)  # Host: other.example
    await _refused(node, body, headers, 401, "host_mismatch")
    assert peer.fetches == [], "refused before fetching any key"


async def test_a_wrong_digest_costs_no_key_fetch(node: Any, peer: Peer) -> None:
    body = _like(peer, node)
    headers = _signed(peer, f"{_base(node)}/inbox", body)
    tampered = body.replace(b"Like", b"Flag")
    await _refused(node, tampered, headers, 401, "digest_mismatch")
    assert peer.fetches == []


async def test_a_stale_date_costs_no_key_fetch(node: Any, peer: Peer) -> None:
    body = _like(peer, node)
    old = datetime.now(UTC) - timedelta(hours=3)
    headers = _signed(peer, f"{_base(node)}/inbox", body, now=old)
    await _refused(node, body, headers, 401, "date_out_of_window")
    assert peer.fetches == []


async def test_a_signature_covering_a_thousand_headers_costs_no_key_fetch(
    node: Any, peer: Peer
) -> None:
    body = _like(peer, node)
    headers = _signed(peer, f"{_base(node)}/inbox", body)
    many = " ".join(f"x-{n}" for n in range(1000))
    name = next(k for k in headers if k.lower() == "signature")
    headers[name] = headers[name].replace('headers="', f'headers="{many} ', 1)
    await _refused(node, body, headers, 401, "signature_covers_too_much")
    assert peer.fetches == []


async def test_an_unsigned_post_is_401_request_not_signed(
    node: Any, peer: Peer
) -> None:
    headers = {"Content-Type": AP}
    await _refused(node, _like(peer, node), headers, 401, "request_not_signed")


async def test_an_activity_without_an_id_is_refused_and_not_stored_twice(
    node: Any, peer: Peer
) -> None:
    doc = json.loads(_like(peer, node))
    del doc["id"]
    body = json.dumps(doc).encode()
    headers = _signed(peer, f"{_base(node)}/inbox", body)
    await _refused(node, body, headers, 400, "activity_without_id")


async def test_json_nested_100000_deep_is_a_400_not_a_500(
    node: Any, peer: Peer
) -> None:
    body = b"[" * 100_000 + b"]" * 100_000
    headers = _signed(peer, f"{_base(node)}/inbox", body)
    await _refused(node, body, headers, 400, "too_deep")
    assert peer.fetches == []


async def test_json_nested_100000_deep_on_the_api_is_a_400(node: Any) -> None:
    resp = await node.post(
        "/api/v1/calls",
        data=b"{" + b'"a":{' * 50_000 + b"}" * 50_001,
        headers={"Content-Type": "application/json", "Authorization": "Bearer x"},
    )
    assert resp.status in (400, 401), await resp.text()
    assert (await resp.json())["error"] in ("too_deep", "unauthorized")


async def test_a_nul_in_a_string_is_refused_before_the_database(
    node: Any, peer: Peer
) -> None:
    doc = json.loads(_like(peer, node))
    doc["summary"] = "a\x00b"
    body = json.dumps(doc).encode()
    headers = _signed(peer, f"{_base(node)}/inbox", body)
    await _refused(node, body, headers, 400, "nul_in_text")


@pytest.mark.parametrize("where", ["value", "key"])
async def test_a_lone_surrogate_is_refused_before_the_database(
    node: Any, peer: Peer, where: str
) -> None:
    """ "\\ud800" is valid JSON but no Unicode character: PostgreSQL refuses it (it was
    a 500 from the INSERT)."""
    doc = json.loads(_like(peer, node))
    if where == "value":
        doc["summary"] = "a\ud800b"
    else:
        doc["\udc00"] = "b"
    body = json.dumps(doc).encode()
    headers = _signed(peer, f"{_base(node)}/inbox", body)
    await _refused(node, body, headers, 400, "bad_unicode")


@pytest.mark.parametrize("path", ["/actors/ten%00ants", "/actors/tenants?x=%00"])
async def test_a_nul_in_the_url_is_a_400(node: Any, path: str) -> None:
    resp = await node.get(path, headers={"Accept": AP})
    assert resp.status == 400
    assert (await resp.json())["error"] == "nul_in_request"


async def test_forged_signatures_naming_a_cached_key_refetch_it_at_most_once(
    node: Any, peer: Peer
) -> None:
    await _follow(node, peer, "alice", "tenants")  # alice's key is now cached
    fetched_before = len(peer.fetches)
    forger = generate_rsa()
    for _ in range(50):
        body = _like(peer, node)
        headers = _signed(peer, f"{_base(node)}/inbox", body, key=forger)
        resp = await node.post("/inbox", data=body, headers=headers)
        assert resp.status == 401
    assert len(peer.fetches) - fetched_before <= 1


async def test_keyids_on_one_host_are_fetched_within_a_budget(
    node: Any, peer: Peer
) -> None:
    forger = generate_rsa()
    statuses = []
    for n in range(100):
        body = _like(peer, node)
        key_id = f"{peer.base}/users/nobody{n}#main-key"
        headers = _signed(peer, f"{_base(node)}/inbox", body, key=forger, key_id=key_id)
        resp = await node.post("/inbox", data=body, headers=headers)
        statuses.append(resp.status)
        if resp.status == 429:
            assert resp.headers["Retry-After"] == "60"
            assert (await resp.json())["error"] == "rate_limited"
    assert len(peer.fetches) <= 30, "at most the per-host budget of key fetches"
    assert 429 in statuses
    assert not [s for s in statuses if s >= 500]


MARKUP = "<script>alert(1)</script><img src=x onerror=alert(2)><svg onload=alert(3)>"


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, list[str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, [name for name, _value in attrs]))


def _elements(html: str) -> list[tuple[str, list[str]]]:
    """The (tag, attribute names) a browser would build from `html`."""
    parser = _Elements()
    parser.feed(html)
    return parser.found


def _html_fields(doc: Any) -> list[str]:
    """Every HTML-valued AS2 field (summary, content) anywhere in `doc`."""
    found: list[str] = []
    if isinstance(doc, dict):
        for key, value in doc.items():
            if key in ("summary", "content") and isinstance(value, str):
                found.append(value)
            else:
                found += _html_fields(value)
    elif isinstance(doc, list):
        for item in doc:
            found += _html_fields(item)
    return found


async def test_markup_in_what_authors_write_never_goes_out_live(
    make_client: Any, peer: Peer
) -> None:
    from node.storage import tokens

    node = await make_client()
    pool = node.app[appkeys.DB]
    group = await create_actor(
        pool, kind="group", name="tenants", display_name=MARKUP, summary=MARKUP
    )
    await create_actor(pool, kind="cluster", name="housing")
    _id, token = await tokens.create(pool, local_actor_id=group.id, label="t")
    await _follow(node, peer, "alice", "tenants")
    auth = {"Authorization": f"Bearer {token}"}
    start = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)
    call = {
        "title": MARKUP,
        "summary": MARKUP,
        "body": "Plain words.",
        "urgency": "high",
        "asks": ["turnout"],
        "startTime": start.isoformat(),
        "timezone": "UTC",
        "location": {"name": MARKUP, "address": MARKUP},
    }
    vision = {
        "title": MARKUP,
        "summary": MARKUP,
        "body": "Words.",
        "horizon": 10,
        "place": MARKUP,
    }
    for collection, data in (("calls", call), ("visions", vision)):
        resp = await node.post(f"/api/v1/{collection}", json=data, headers=auth)
        assert resp.status == 201, await resp.text()

    from tests.conftest import until

    await until(lambda: len(peer.activities("Create")) >= 2, what="two Creates")
    actor_doc = await (
        await node.get(
            "/actors/tenants",
            headers=peer.sign_get("alice", f"{_base(node)}/actors/tenants"),
        )
    ).json()
    html = _html_fields(peer.activities("Create")) + _html_fields(actor_doc)
    assert html, "the Creates and the actor carry HTML fields"
    for field in html:
        tags = _elements(field)
        assert not {t for t, _a in tags} & {"script", "img", "svg"}, field
        assert not [a for _t, attrs in tags for a in attrs if a.startswith("on")], field
    assert "&lt;script&gt;" in actor_doc["summary"]  # shown as text, not run


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("cc", ["https://blocked.example/users/x"]),
        ("to", ["https://Sub.Blocked.Example:8443/users/y"]),
        ("inReplyTo", "https://blocked.example/notes/1"),
        (
            "object",
            {
                "id": "https://x.example/n/1",
                "attributedTo": "https://a.blocked.example/u",
            },
        ),
    ],
    ids=["cc", "to-subdomain-port", "inReplyTo", "object-author"],
)
async def test_an_activity_naming_a_blocked_domain_anywhere_is_refused(
    node: Any, peer: Peer, field: str, value: Any
) -> None:
    from tests.conftest import run_cli

    code, _out, _err = await run_cli(
        node.app[appkeys.SETTINGS], "domain", "block", "Blocked.EXAMPLE."
    )
    assert code == 0
    assert await node.app[appkeys.DB].fetchval("SELECT host FROM domain_blocks") == (
        "blocked.example"
    )
    doc = json.loads(_like(peer, node)) | {field: value}
    body = json.dumps(doc).encode()
    headers = _signed(peer, f"{_base(node)}/inbox", body)
    await _refused(node, body, headers, 403, "domain_blocked")
    assert peer.fetches == []


async def test_a_lookalike_of_a_blocked_domain_is_not_blocked(
    node: Any, peer: Peer
) -> None:
    from tests.conftest import run_cli

    code, _out, _err = await run_cli(
        node.app[appkeys.SETTINGS], "domain", "block", "blocked.example"
    )
    assert code == 0
    doc = json.loads(_like(peer, node)) | {"cc": ["https://evil-blocked.example/u"]}
    body = json.dumps(doc).encode()
    resp = await node.post(
        "/inbox", data=body, headers=_signed(peer, f"{_base(node)}/inbox", body)
    )
    assert resp.status == 202, await resp.text()


async def _deliver(node: Any, peer: Peer, activity: dict[str, Any]) -> None:
    """POST `activity` signed by alice and wait until the node has processed it."""
    from tests.conftest import until

    body = json.dumps(activity).encode()
    resp = await node.post(
        "/inbox", data=body, headers=_signed(peer, f"{_base(node)}/inbox", body)
    )
    assert resp.status == 202, await resp.text()
    pool = node.app[appkeys.DB]
    await until(
        lambda: pool.fetchval(
            "SELECT processed_at IS NOT NULL FROM inbox WHERE activity_id = $1",
            activity["id"],
        ),
        what=f"{activity['type']} processed",
    )


@pytest.fixture
async def published(node: Any) -> dict[str, str]:
    """A public and a followers-only call of tenants (ids)."""
    from node.storage import tokens

    pool = node.app[appkeys.DB]
    group = await pool.fetchval("SELECT id FROM local_actors WHERE name = 'tenants'")
    _id, token = await tokens.create(pool, local_actor_id=group, label="t")
    start = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)
    call = {
        "title": "Meet",
        "body": "Words.",
        "urgency": "normal",
        "asks": ["turnout"],
        "startTime": start.isoformat(),
        "timezone": "UTC",
        "location": {"name": "Hall"},
    }
    made = {}
    for audience in ("public", "followers"):
        resp = await node.post(
            "/api/v1/calls",
            json=call | {"audience": audience},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert resp.status == 201
        made[audience] = (await resp.json())["id"]
    return made


async def test_a_strangers_like_of_a_followers_only_object_is_not_counted(
    node: Any, peer: Peer, published: dict[str, str]
) -> None:
    pool = node.app[appkeys.DB]
    alice = peer.actor_id("alice")
    for target in (published["followers"], published["public"]):
        await _deliver(
            node,
            peer,
            {
                "id": f"{alice}#likes/{uuid.uuid4()}",
                "type": "Like",
                "actor": alice,
                "object": target,
            },
        )
    counted = await pool.fetch("SELECT object_id FROM reactions")
    assert [r["object_id"] for r in counted] == [published["public"]]


def _note(peer: Peer, in_reply_to: str, **extra: Any) -> dict[str, Any]:
    alice = peer.actor_id("alice")
    return {
        "id": f"{alice}/notes/{uuid.uuid4()}",
        "type": "Note",
        "attributedTo": alice,
        "inReplyTo": in_reply_to,
        "content": "<p>hello</p>",
        "published": "2026-11-30T10:00:00Z",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        **extra,
    }


def _wrap(peer: Peer, type_: str, obj: Any) -> dict[str, Any]:
    alice = peer.actor_id("alice")
    return {
        "id": f"{alice}#{type_.lower()}/{uuid.uuid4()}",
        "type": type_,
        "actor": alice,
        "object": obj,
    }


async def test_an_update_cannot_move_a_reply_in_time(
    node: Any, peer: Peer, published: dict[str, str]
) -> None:
    note = _note(peer, published["public"])
    await _deliver(node, peer, _wrap(peer, "Create", note))
    edited = note | {"content": "<p>edited</p>", "published": "2020-01-01T00:00:00Z"}
    await _deliver(node, peer, _wrap(peer, "Update", edited))
    body = await node.app[appkeys.DB].fetchval(
        "SELECT body FROM remote_objects WHERE id = $1", note["id"]
    )
    assert body["content"] == "<p>edited</p>"
    assert body["published"] == "2026-11-30T10:00:00Z"


async def test_a_delete_before_its_create_keeps_the_create_out(
    node: Any, peer: Peer, published: dict[str, str]
) -> None:
    note = _note(peer, published["public"])
    await _deliver(node, peer, _wrap(peer, "Delete", note["id"]))
    await _deliver(node, peer, _wrap(peer, "Create", note))
    row = await node.app[appkeys.DB].fetchrow(
        "SELECT body, deleted_at FROM remote_objects WHERE id = $1", note["id"]
    )
    assert row["deleted_at"] is not None
    assert row["body"]["type"] == "Tombstone"


@pytest.mark.parametrize(
    "extra",
    [
        {"tag": [{"type": "Hashtag", "name": f"#t{n}"} for n in range(10_000)]},
        {"cc": [f"https://m.example/users/u{n}" for n in range(5_000)]},
        {"content": "<p>" + "x" * 900_000 + "</p>"},
    ],
    ids=["10000-tags", "5000-cc", "900KB-content"],
)
async def test_an_oversized_object_is_not_kept(
    node: Any, peer: Peer, published: dict[str, str], extra: dict[str, Any]
) -> None:
    note = _note(peer, published["public"], **extra)
    await _deliver(node, peer, _wrap(peer, "Create", note))
    assert (
        await node.app[appkeys.DB].fetchval("SELECT count(*) FROM remote_objects") == 0
    )


async def test_a_flood_from_one_actor_is_cut_at_its_limit_with_retry_after(
    make_client: Any, peer: Peer
) -> None:
    node = await make_client(rate_inbox_actor=20)
    await create_actor(node.app[appkeys.DB], kind="group", name="tenants")
    statuses = []
    for _ in range(30):
        flag = json.loads(_like(peer, node)) | {"type": "Flag"}
        body = json.dumps(flag).encode()
        resp = await node.post(
            "/inbox", data=body, headers=_signed(peer, f"{_base(node)}/inbox", body)
        )
        statuses.append(resp.status)
        if resp.status == 429:
            assert int(resp.headers["Retry-After"]) >= 1
            assert (await resp.json())["error"] == "rate_limited"
    assert statuses.count(202) == 20
    assert statuses.count(429) == 10
    stored = await node.app[appkeys.DB].fetchval("SELECT count(*) FROM inbox")
    assert stored == 20, "a refused activity is not stored"
    metrics = node.app[appkeys.METRICS].rate_limited.labels("inbox_actor")
    assert metrics._value.get() == 10


async def test_guessing_tokens_is_cut_off_and_then_even_a_right_one_waits(
    make_client: Any,
) -> None:
    from node.storage import tokens

    node = await make_client(rate_failed_auth=10)
    pool = node.app[appkeys.DB]
    group = await create_actor(pool, kind="group", name="tenants")
    _id, token = await tokens.create(pool, local_actor_id=group.id, label="t")
    statuses = []
    for n in range(15):
        resp = await node.get(
            "/api/v1/calls", headers={"Authorization": f"Bearer guess-{n}"}
        )
        statuses.append(resp.status)
    assert statuses == [401] * 10 + [429] * 5
    right = await node.get(
        "/api/v1/calls", headers={"Authorization": f"Bearer {token}"}
    )
    assert right.status == 429  # not even tried while the client waits
    assert int(right.headers["Retry-After"]) >= 1


async def test_guessing_sign_ins_is_cut_off(make_client: Any) -> None:
    node = await make_client(rate_failed_auth=5)
    origin = str(node.make_url("")).rstrip("/")
    statuses = []
    for n in range(8):
        resp = await node.post(
            "/admin/login",
            data={"token": f"guess-{n}"},
            headers={"Origin": origin},
            allow_redirects=False,
        )
        statuses.append(resp.status)
    assert statuses == [401] * 5 + [429] * 3


async def test_a_key_document_nested_100000_deep_is_a_401_not_a_500(
    node: Any, peer: Peer, aiohttp_server: Any
) -> None:
    """A hostile server's key document that would overflow the JSON parser."""
    from aiohttp import web

    from tests.conftest import free_port

    async def deep(_request: web.Request) -> web.Response:
        return web.Response(
            body=b"[" * 100_000 + b"]" * 100_000,
            content_type="application/activity+json",
        )

    app = web.Application()
    app.router.add_get("/users/{name}", deep)
    port = free_port("127.0.0.4")
    await aiohttp_server(app, host="127.0.0.4", port=port)
    key_id = f"http://127.0.0.4:{port}/users/eve#main-key"
    doc = json.loads(_like(peer, node))
    doc |= {
        "id": f"http://127.0.0.4:{port}/users/eve#like",
        "actor": key_id.split("#")[0],
    }
    body = json.dumps(doc).encode()
    headers = _signed(peer, f"{_base(node)}/inbox", body, key_id=key_id)
    await _refused(node, body, headers, 401, "too_deep")
