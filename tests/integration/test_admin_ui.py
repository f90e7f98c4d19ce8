"""The publishing UI through HTTP: sign in with a group token, publish through the form with
a preview, errors beside their fields (nothing stored), edit, delete; CSRF and cross-site
posts refused."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from node.runtime import appkeys
from tests.conftest import until

pytestmark = [pytest.mark.db, pytest.mark.integration]
HTML = {"Accept": "text/html"}


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field in the form"
    return found.group(1)


async def sign_in(ui: Any) -> str:
    resp = await ui.post(
        "/admin/login", data={"token": ui.token}, allow_redirects=False
    )
    assert resp.status == 303
    cookie = resp.cookies["movement_session"]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    resp = await ui.get("/admin/call/new")
    assert resp.status == 200
    return csrf_of(await resp.text())


def call_form(csrf: str, **overrides: str) -> dict[str, Any]:
    start = (datetime.now(UTC) + timedelta(days=7)).replace(microsecond=0)
    form = {
        "csrf": csrf,
        "title": "Rent strike assembly",
        "summary": "Decide together.",
        "body": "At the **library**.",
        "urgency": "high",
        "asks": "turnout",
        "startTime": start.strftime("%Y-%m-%dT%H:%M"),
        "endTime": (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "timezone": "Europe/Berlin",
        "location.name": "Central Library",
        "clusters": "housing",
        "audience": "public",
        "do": "publish",
    }
    return form | overrides


async def count(ui: Any) -> int:
    return int(await ui.app[appkeys.DB].fetchval("SELECT count(*) FROM objects"))


async def test_signing_in_needs_a_valid_group_token(ui: Any) -> None:
    resp = await ui.get("/admin", allow_redirects=False)
    assert resp.status == 303
    assert resp.headers["Location"] == "/admin/login"
    resp = await ui.post("/admin/login", data={"token": "mn_wrong"})
    assert resp.status == 401
    assert "unknown" in await resp.text()
    await sign_in(ui)
    page = await (await ui.get("/admin")).text()
    assert "Publish as" in page


async def test_publish_through_the_form_with_preview_errors_edit_and_delete(
    ui: Any,
    peer: Any,
) -> None:
    csrf = await sign_in(ui)

    # an end before its start: the error sits beside the field, nothing is stored
    form = call_form(csrf)
    bad = call_form(csrf, endTime="2000-01-01T10:00")
    resp = await ui.post("/admin/call/new", data=bad)
    assert resp.status == 422
    html = await resp.text()
    assert 'id="f-endTime-error"' in html
    assert "must be after startTime" in html
    assert 'aria-invalid="true"' in html
    assert 'value="Rent strike assembly"' in html  # what was typed is kept
    assert await count(ui) == 0

    # a date that is not one
    resp = await ui.post("/admin/call/new", data=call_form(csrf, startTime="next week"))
    assert resp.status == 422
    assert "not a date and time" in await resp.text()

    # preview: what Mastodon shows of an Event (title, summary, link); nothing stored
    resp = await ui.post("/admin/call/new", data=form | {"do": "preview"})
    assert resp.status == 200
    html = await resp.text()
    assert "What a Mastodon reader will see" in html
    assert "<h2>Rent strike assembly</h2>" in html
    assert await count(ui) == 0

    resp = await ui.post("/admin/call/new", data=form, allow_redirects=False)
    assert resp.status == 303
    row = await ui.app[appkeys.DB].fetchrow("SELECT id, fields FROM objects")
    assert row["fields"]["timezone"] == "Europe/Berlin"
    assert row["fields"]["startTime"].endswith(("+01:00", "+02:00"))
    assert (
        "Rent strike assembly"
        in await (await ui.get("/actors/tenants", headers=HTML)).text()
    )

    key = row["id"].rsplit("/", 1)[1]
    edit = await ui.get(f"/admin/call/{key}/edit")
    assert f'value="{form["startTime"]}"' in await edit.text()  # shown in its own zone
    resp = await ui.post(
        f"/admin/call/{key}/edit",
        data=form | {"title": "Rent strike assembly (moved)"},
        allow_redirects=False,
    )
    assert resp.status == 303
    fields = await ui.app[appkeys.DB].fetchval("SELECT fields FROM objects")
    assert fields["title"] == "Rent strike assembly (moved)"

    # deleting asks first, saying how many followers the Delete reaches
    base = str(ui.app[appkeys.SETTINGS].url)
    for who in ("alice", "bob", "carol"):
        peer.add(who)
        follow = {
            "id": f"{peer.actor_id(who)}#follow",
            "type": "Follow",
            "actor": peer.actor_id(who),
            "object": f"{base}/actors/tenants",
        }
        body = json.dumps(follow).encode()
        sent = await ui.post(
            "/inbox", data=body, headers=peer.sign_post(who, f"{base}/inbox", body)
        )
        assert sent.status == 202
    await until(
        lambda: ui.app[appkeys.DB].fetchval(
            "SELECT count(*) = 3 FROM followers WHERE state = 'accepted'"
        ),
        what="three followers",
    )
    question = await (await ui.get(f"/admin/call/{key}/delete")).text()
    assert "3 followers" in question
    assert "Rent strike assembly (moved)" in question
    resp = await ui.post(
        f"/admin/call/{key}/delete", data={"csrf": csrf}, allow_redirects=False
    )
    assert resp.status == 303  # no confirmation: back to the question, nothing deleted
    assert resp.headers["Location"] == f"/admin/call/{key}/delete"
    assert await ui.app[appkeys.DB].fetchval("SELECT deleted_at FROM objects") is None
    resp = await ui.post(
        f"/admin/call/{key}/delete",
        data={"csrf": csrf, "confirm": "yes"},
        allow_redirects=False,
    )
    assert resp.status == 303
    page = await (await ui.get("/actors/tenants", headers=HTML)).text()
    assert "Rent strike" not in page

    def deletes() -> list[Any]:
        return [
            b for _p, _h, b in peer.received if json.loads(b).get("type") == "Delete"
        ]

    # one Delete, to the one shared inbox of the three followers (the delivery may be
    # done before we look: the peer's inbox tells)
    await until(deletes, what="the Delete at the followers' server")
    await asyncio.sleep(0.3)
    assert len(deletes()) == 1


async def test_posts_without_the_csrf_token_or_from_another_site_are_refused(
    ui: Any,
) -> None:
    csrf = await sign_in(ui)
    resp = await ui.post("/admin/call/new", data=call_form("forged"))
    assert resp.status == 403
    resp = await ui.post(
        "/admin/call/new",
        data=call_form(csrf),
        headers={"Origin": "https://evil.example"},
    )
    assert resp.status == 403
    assert await count(ui) == 0
    resp = await ui.get("/admin/nonsense/new")
    assert resp.status == 404


async def test_revoking_the_token_ends_its_sessions_at_once(ui: Any) -> None:
    from tests.conftest import run_cli

    await sign_in(ui)
    assert (await ui.get("/admin", allow_redirects=False)).status == 200
    pool = ui.app[appkeys.DB]
    token_id = await pool.fetchval("SELECT id FROM api_tokens")
    code, out, _err = await run_cli(
        ui.app[appkeys.SETTINGS], "token", "revoke", str(token_id)
    )
    assert code == 0, out
    resp = await ui.get("/admin", allow_redirects=False)
    assert resp.status == 303  # back to the sign-in page
    assert resp.headers["Location"] == "/admin/login"
    assert await pool.fetchval("SELECT count(*) FROM web_sessions") == 0
