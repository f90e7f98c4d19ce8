"""Outbox pages served from memory: the same page is built once, and a publication — by
this process or another (the CLI) — shows on the very next GET."""

from __future__ import annotations

import json
from typing import Any

import pytest

from node.runtime import appkeys
from node.services.actors import create_actor
from node.services.publish import post_note
from tests.conftest import run_cli

pytestmark = [pytest.mark.db, pytest.mark.integration]
AP = {"Accept": "application/activity+json"}


async def test_a_page_is_built_once_and_a_publication_shows_at_once(
    make_client: Any, tmp_path: Any
) -> None:
    node = await make_client(authorized_fetch=False)
    pool = node.app[appkeys.DB]
    await create_actor(pool, kind="group", name="tenants")
    base = str(node.app[appkeys.SETTINGS].url)
    await post_note(pool, base_url=base, actor_name="tenants", text="First.")
    pages = node.app[appkeys.OUTBOX_PAGES]

    async def page() -> dict[str, Any]:
        resp = await node.get("/actors/tenants/outbox?page=1", headers=AP)
        assert resp.status == 200
        return dict(await resp.json())

    first = await page()
    loads = pages.loads
    assert await page() == first
    assert pages.loads == loads  # from memory
    await post_note(pool, base_url=base, actor_name="tenants", text="Second.")
    shown = await page()  # at once, whether or not the NOTIFY arrived yet
    assert shown["totalItems"] == 2
    assert "Second." in json.dumps(shown)

    # another process publishes
    note = tmp_path / "n.json"
    note.write_text(
        json.dumps(
            {
                "title": "Offer",
                "capability": "legal",
                "body": "x",
                "areaServed": "here",
                "availability": "now",
                "howToAsk": "ask",
            }
        )
    )
    code, _out, err = await run_cli(
        node.app[appkeys.SETTINGS],
        "publish",
        "offer",
        "--as",
        "tenants",
        "--file",
        str(note),
    )
    assert code == 0, err
    assert (await page())["totalItems"] == 3
    resp = await node.get("/actors/nobody/outbox?page=1", headers=AP)
    assert resp.status == 404


async def test_a_group_page_is_held_and_shows_a_publication_at_once(
    make_client: Any,
) -> None:
    node = await make_client()
    pool = node.app[appkeys.DB]
    await create_actor(pool, kind="group", name="tenants", display_name="Tenants Union")
    base = str(node.app[appkeys.SETTINGS].url)
    await post_note(pool, base_url=base, actor_name="tenants", text="First.")
    pages = node.app[appkeys.OUTBOX_PAGES]

    async def page() -> str:
        resp = await node.get("/actors/tenants", headers={"Accept": "text/html"})
        assert resp.status == 200
        assert resp.headers["Content-Security-Policy"].startswith("default-src 'none'")
        assert resp.content_type == "text/html"
        return str(await resp.text())

    first = await page()
    loads = pages.loads
    assert await page() == first
    assert pages.loads == loads
    token_row = await pool.fetchrow(
        "SELECT id FROM local_actors WHERE name = 'tenants'"
    )
    from node.storage import tokens

    _id, secret = await tokens.create(pool, local_actor_id=token_row["id"], label="t")
    resp = await node.post(
        "/api/v1/offers",
        json={
            "title": "Legal observers",
            "capability": "legal",
            "body": "x",
            "areaServed": "here",
            "availability": "now",
            "howToAsk": "ask",
        },
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert resp.status == 201
    assert "Legal observers" in await page()
