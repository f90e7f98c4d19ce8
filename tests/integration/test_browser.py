"""A real headless Chromium (Debian's `chromium`, driven by Playwright, no browser download)
against a real node on loopback: open the home page, sign in, publish a call to action
through the form, see the error for a bad date, fix it, see the call on the group's page.
The screenshots are kept as artifacts (ARTIFACTS_DIR, else the test's temporary folder)."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.integration.nodes import Nodes

pytestmark = [pytest.mark.db, pytest.mark.integration, pytest.mark.browser]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# As root, in a closed network: no sandbox, no background connections (they are refused).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("Debian's chromium is not installed (.ci/run installs it)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            await launched.close()


def artifacts(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("ARTIFACTS_DIR", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


async def test_a_group_admin_publishes_a_call_to_action_in_the_browser(
    browser: Any, nodes: Nodes, tmp_path: Path
) -> None:
    from node.services.actors import create_actor

    node = await nodes.start("web", "127.0.0.5")
    token = await node.group("tenants")
    await create_actor(node.db, kind="cluster", name="housing")
    page = await browser.new_page()
    page.set_default_timeout(10_000)

    await page.goto(node.url + "/")
    assert await page.locator("h1").first.inner_text() != ""
    assert await page.locator("main").count() == 1
    await page.get_by_role("link", name="Publish").click()
    # a group made before accounts: its shared token, under "With a group token"
    await page.get_by_text("With a group token").click()
    await page.get_by_label("Group token").fill(token)
    await page.get_by_role("button", name="Sign in with the token").click()
    await page.get_by_role("link", name="New call to action").click()

    start = (datetime.now(UTC) + timedelta(days=9)).replace(hour=18, minute=0)
    await page.get_by_label("Title").fill("Tenants' assembly on the rent cap")
    await page.get_by_label("Text (Markdown)").fill("We decide **together**.")
    await page.get_by_label("Urgency").select_option("high")
    await page.get_by_label("turn out").check()
    await page.get_by_label("Starts").fill(start.strftime("%Y-%m-%dT%H:%M"))
    await page.get_by_label("Ends").fill("2020-01-01T10:00")  # before its start
    await page.get_by_label("Time zone").select_option("Europe/Berlin")
    await page.get_by_label("Place", exact=True).fill("Community hall")
    await page.get_by_label("#housing").check()
    await page.get_by_role("button", name="Publish").click()

    error = page.locator("#f-endTime-error")
    assert "must be after startTime" in await error.inner_text()
    assert await page.get_by_label("Ends").get_attribute("aria-invalid") == "true"
    await page.screenshot(
        path=str(artifacts(tmp_path) / "publish-error.png"), full_page=True
    )
    assert await node.db.fetchval("SELECT count(*) FROM objects") == 0

    end = start + timedelta(hours=2)
    await page.get_by_label("Ends").fill(end.strftime("%Y-%m-%dT%H:%M"))
    await page.get_by_role("button", name="Preview").click()
    assert "Tenants' assembly" in await page.locator(".preview").inner_text()
    await page.get_by_role("button", name="Publish").click()
    assert "published" in await page.get_by_role("status").inner_text()

    await page.goto(node.actor("tenants"))
    assert (
        "Tenants' assembly on the rent cap" in await page.locator("main").inner_text()
    )
    await page.screenshot(
        path=str(artifacts(tmp_path) / "group-page.png"), full_page=True
    )
    await page.goto(node.url + "/map")
    await page.screenshot(path=str(artifacts(tmp_path) / "map.png"), full_page=True)
    assert await page.locator("svg .group").count() == 1

    # the call's own page, at a desktop's width and a phone's: when and where with
    # add-to-calendar and the map link, how to help; nothing wider than a phone
    await page.goto(node.actor("tenants"))
    await page.get_by_role(
        "link", name="Tenants' assembly on the rent cap"
    ).first.click()
    where = page.get_by_label("When and where")
    assert "Add to your calendar" in await where.inner_text()
    assert "How to help" in await page.locator("main").inner_text()
    for width, height in ((1280, 900), (390, 844)):
        await page.set_viewport_size({"width": width, "height": height})
        await page.screenshot(
            path=str(artifacts(tmp_path) / f"call-page-{width}.png"), full_page=True
        )
        scroll = await page.evaluate("document.documentElement.scrollWidth")
        assert scroll <= width, f"the call page is {scroll}px wide at {width}px"


async def test_an_organiser_makes_an_account_and_signs_in_with_a_passkey(
    browser: Any, nodes: Nodes, tmp_path: Path
) -> None:
    """The real WebAuthn ceremony in Chromium, with its virtual authenticator (CDP): the
    invitation link, a passkey made, recovery codes shown once, then a sign-in with the
    passkey alone. WebAuthn needs a host name (not an IP address): `localhost`."""
    node = await nodes.start("web", "localhost")
    await node.group("tenants")
    out = await node.ok(
        "account", "create", "ana", "--group", "tenants", "--role", "admin"
    )
    link = out.strip().splitlines()[-1]
    context = await browser.new_context()
    page = await context.new_page()
    page.set_default_timeout(10_000)
    cdp = await context.new_cdp_session(page)
    await cdp.send("WebAuthn.enable")
    await cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    await page.goto(link)
    await page.get_by_role("button", name="Make my account with a passkey").click()
    codes = page.locator("#recovery-codes li")
    await codes.first.wait_for()
    assert await codes.count() == 10, errors
    await page.screenshot(
        path=str(artifacts(tmp_path) / "passkey-account.png"), full_page=True
    )
    stored = await node.db.fetchval(
        "SELECT count(*) FROM passkeys p JOIN accounts a ON a.id = p.account_id "
        "WHERE a.name = 'ana'"
    )
    assert stored == 1

    await context.clear_cookies()
    await page.goto(node.url + "/admin/login")
    await page.get_by_role("button", name="Sign in with a passkey").click()
    await page.wait_for_url(node.url + "/admin")
    assert "Publish as" in await page.locator("h1").inner_text(), errors
    assert (
        await node.db.fetchval(
            "SELECT count(*) FROM audit_log WHERE account_name = 'ana' AND action = 'sign_in'"
        )
        == 1
    )
    await context.close()
