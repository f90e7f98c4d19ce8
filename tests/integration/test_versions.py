"""A vision's versions: each edit keeps the one it replaces, readable at its own URL (a
page, and the object as it was for ActivityPub clients); the current page shows what the
last edit changed and links every earlier version."""

from __future__ import annotations

from typing import Any

import pytest

from node.runtime import appkeys
from tests.integration.test_movement import CALL, VISION, node, token  # noqa: F401

pytestmark = [pytest.mark.db, pytest.mark.integration]
HTML = {"Accept": "text/html"}


def _auth(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def _path(object_id: str) -> str:
    return "/" + object_id.split("://", 1)[1].split("/", 1)[1]


async def test_each_edit_keeps_the_version_it_replaces(
    node: Any,  # noqa: F811 (fixture)
    token: str,  # noqa: F811 (fixture)
) -> None:
    resp = await node.post("/api/v1/visions", json=VISION, headers=_auth(token))
    vision = (await resp.json())["id"]
    key = vision.rsplit("/", 1)[1]
    second = VISION | {
        "summary": "Every neighbourhood keeps its people: social housing for most of the city.",
        "body": "## Why\n\nBecause homes are for living, not for speculation.",
    }
    third = second | {"title": "A city where no one is ever displaced"}
    for data in (second, third):
        resp = await node.put(f"/api/v1/visions/{key}", json=data, headers=_auth(token))
        assert resp.status == 200, await resp.text()

    page = await (await node.get(_path(vision), headers=HTML)).text()
    versions = page[page.index('id="versions-h"') :]
    assert "Version 3" in versions
    assert "<del>A city where no one is displaced</del>" in versions
    assert "<ins>A city where no one is ever displaced</ins>" in versions
    assert f'href="{vision}/versions/1"' in versions
    assert f'href="{vision}/versions/2"' in versions

    first = await (await node.get(f"{_path(vision)}/versions/1", headers=HTML)).text()
    assert "version 1 of 3" in first
    assert VISION["summary"] in first
    assert "not for speculation" not in first
    two = await (await node.get(f"{_path(vision)}/versions/2", headers=HTML)).text()
    assert "<ins>Because homes are for living, not for speculation.</ins>" in two
    assert "<del>Because homes are for living.</del>" in two
    as_was = await node.get(
        f"{_path(vision)}/versions/1", headers={"Accept": "application/activity+json"}
    )
    assert as_was.status == 200
    body = await as_was.json(content_type=None)
    assert body["id"] == f"{vision}/versions/1"
    assert body["isVersionOf"] == vision
    assert body["abstract"] == VISION["summary"]

    for missing in ("9", "0", "abc", "1" * 8):
        resp = await node.get(f"{_path(vision)}/versions/{missing}", headers=HTML)
        assert resp.status == 404, missing


async def test_only_visions_and_only_public_ones_show_versions(
    node: Any,  # noqa: F811 (fixture)
    token: str,  # noqa: F811 (fixture)
) -> None:
    pool = node.app[appkeys.DB]
    resp = await node.post("/api/v1/calls", json=CALL, headers=_auth(token))
    call_key = (await resp.json())["id"].rsplit("/", 1)[1]
    resp = await node.put(
        f"/api/v1/calls/{call_key}", json=CALL | {"title": "New"}, headers=_auth(token)
    )
    assert resp.status == 200
    assert await pool.fetchval("SELECT count(*) FROM object_versions") == 0
    hidden = VISION | {"audience": "followers"}
    resp = await node.post("/api/v1/visions", json=hidden, headers=_auth(token))
    secret = (await resp.json())["id"]
    resp = await node.put(
        f"/api/v1/visions/{secret.rsplit('/', 1)[1]}",
        json=hidden | {"title": "Changed"},
        headers=_auth(token),
    )
    assert resp.status == 200
    assert await pool.fetchval("SELECT count(*) FROM object_versions") == 1
    resp = await node.get(f"{_path(secret)}/versions/1", headers=HTML)
    assert resp.status == 404
