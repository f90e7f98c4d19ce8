"""Actor documents are built once per process and served from memory until a key changes:
a rotation in another process (the CLI) reaches the serving process through NOTIFY, and the
next GET has the new key; an unknown name is never remembered."""

from __future__ import annotations

from typing import Any

import pytest

from node.runtime import appkeys
from node.services.actors import create_actor
from tests.conftest import run_cli, until

pytestmark = [pytest.mark.db, pytest.mark.integration]
AP = {"Accept": "application/activity+json"}


async def _doc(node: Any, path: str) -> Any:
    resp = await node.get(path, headers=AP)
    assert resp.status == 200, await resp.text()
    assert resp.headers["Content-Type"] == "application/activity+json; charset=utf-8"
    return await resp.json(content_type=None)


async def test_a_document_is_built_once_and_rebuilt_after_a_rotation(
    make_client: Any,
) -> None:
    node = await make_client(authorized_fetch=False)
    pool, documents = node.app[appkeys.DB], node.app[appkeys.ACTOR_DOCUMENTS]
    await create_actor(pool, kind="group", name="tenants")
    first = await _doc(node, "/actors/tenants")
    loads = documents.loads
    for _ in range(5):
        assert await _doc(node, "/actors/tenants") == first
    assert documents.loads == loads  # served from memory

    code, _out, err = await run_cli(
        node.app[appkeys.SETTINGS], "keys", "rotate", "tenants", "--grace", "0"
    )
    assert code == 0, err

    async def rotated() -> bool:
        doc = await _doc(node, "/actors/tenants")
        return bool(doc["publicKey"]["id"].endswith("#key-2"))

    await until(rotated, timeout=10, what="the new key served")
    assert documents.loads > loads


async def test_an_unknown_name_is_not_remembered(make_client: Any) -> None:
    node = await make_client()
    resp = await node.get("/actors/later", headers=AP)
    assert resp.status == 404
    await create_actor(node.app[appkeys.DB], kind="group", name="later")
    doc = await _doc(node, "/actors/later")
    assert doc["preferredUsername"] == "later"


async def test_the_instance_actor_is_served_from_memory_too(make_client: Any) -> None:
    node = await make_client()
    documents = node.app[appkeys.ACTOR_DOCUMENTS]
    first = await _doc(node, "/actor")
    loads = documents.loads
    assert await _doc(node, "/actor") == first
    assert documents.loads == loads
    assert first["type"] == "Application"
