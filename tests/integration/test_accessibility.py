"""Every kind of page in the real Chromium, at a desktop's width and a phone's: axe-core
(from npm, pinned) finds no serious or critical violation, nothing is wider than the
screen, and the screenshots are kept as artifacts; then a capability offer is published
with the keyboard alone, and the error pages wear the site's layout."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from PIL import Image

from node.services.actors import create_actor
from tests.integration.nodes import Node, Nodes
from tests.integration.test_browser import artifacts, browser  # noqa: F401 (fixture)
from tests.integration.test_confederations import charter_file
from tests.integration.test_movement import OFFER, PROPOSAL, VISION
from tests.integration.test_pages import call_in
from tests.interop.peers import npm_peer

pytestmark = [pytest.mark.db, pytest.mark.integration, pytest.mark.browser]
WIDTHS = ((1280, 900), (390, 844))
AXE = Path(__file__).parent / "axe"
SERIOUS = ("serious", "critical")


@pytest.fixture(scope="module")
def axe_script() -> str:
    """axe-core's browser build, `npm ci` of tests/integration/axe's lock."""
    return (npm_peer(AXE) / "node_modules" / "axe-core" / "axe.min.js").read_text()


def _poster() -> bytes:
    image = Image.new("RGB", (900, 600), (20, 90, 40))
    out = io.BytesIO()
    image.save(out, "JPEG")
    return out.getvalue()


async def _upload(node: Node, purpose: str) -> dict[str, Any]:
    form = aiohttp.FormData()
    form.add_field("purpose", purpose)
    form.add_field(
        "file", io.BytesIO(_poster()), filename="p.jpg", content_type="image/jpeg"
    )
    auth = {"Authorization": f"Bearer {node.tokens['tenants']}"}
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{node.url}/api/v1/media", data=form, headers=auth) as resp,
    ):
        assert resp.status == 201, await resp.text()
        uploaded: dict[str, Any] = await resp.json()
        return uploaded


async def _site(nodes: Nodes, tmp_path: Path) -> tuple[Node, dict[str, str]]:
    """A node with a pictured group, a cluster, one object of each kind and a
    confederation; the path of each kind of page."""
    node = await nodes.start("a11y", "127.0.0.6")
    await node.group("tenants")
    for cluster in ("housing", "transport"):
        await create_actor(node.db, kind="cluster", name=cluster)
    avatar, header = await _upload(node, "avatar"), await _upload(node, "header")
    status, _ = await node.api(
        "PUT",
        "/api/v1/profile",
        "tenants",
        json={"avatar": avatar["id"], "header": header["id"]},
    )
    assert status == 200
    poster = await _upload(node, "attachment")
    images = [{"media": poster["id"], "alt": "Tenants on the town hall steps"}]
    call = await node.publish(
        "tenants",
        "calls",
        call_in(4, title="Pack the hearing", urgency="critical", images=images),
    )
    bank = {"name": "Public land bank", "purpose": "Keeps homes affordable."}
    vision = await node.publish("tenants", "visions", VISION | {"institutions": [bank]})
    offer = await node.publish("tenants", "offers", OFFER)
    proposal = await node.publish("tenants", "proposals", PROPOSAL)
    await node.found("cascadia", charter_file(tmp_path, "open"))

    def path(url: str) -> str:
        return url.removeprefix(node.url)

    return node, {
        "home": "/",
        "map": "/map",
        "offers": "/offers",
        "institutions": "/institutions",
        "group": "/actors/tenants",
        "cluster": "/actors/housing",
        "confederation": "/actors/cascadia",
        "call": path(call["id"]),
        "vision": path(vision["id"]),
        "offer": path(offer["id"]),
        "proposal": path(proposal["id"]),
        "not-found": "/actors/nobody",
        "sign-in": "/admin/login",
    }


async def _serious(page: Any, script: str) -> list[dict[str, Any]]:
    await page.add_script_tag(content=script)
    violations: list[dict[str, Any]] = await page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ['violations']}))
             .violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                    where: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))"""
    )
    return [v for v in violations if v["impact"] in SERIOUS]


async def _check(page: Any, name: str, script: str, folder: Path) -> list[str]:
    problems = []
    for width, height in WIDTHS:
        await page.set_viewport_size({"width": width, "height": height})
        await page.screenshot(
            path=str(folder / f"page-{name}-{width}.png"), full_page=True
        )
        scroll = await page.evaluate("document.documentElement.scrollWidth")
        if scroll > width:
            problems.append(f"{name} is {scroll}px wide at {width}px")
        for v in await _serious(page, script):
            problems.append(
                f"{name} at {width}px: {v['id']} ({v['impact']}): {v['help']} at {v['where']}"
            )
    return problems


async def test_every_page_kind_passes_axe_at_both_widths(
    browser: Any,  # noqa: F811 (the fixture)
    nodes: Nodes,
    tmp_path: Path,
    axe_script: str,
) -> None:
    node, paths = await _site(nodes, tmp_path)
    folder = artifacts(tmp_path)
    # axe is injected as a script: our pages' CSP (rightly) forbids it, so this one
    # browser context ignores CSP; the pages themselves are as served
    context = await browser.new_context(bypass_csp=True)
    page = await context.new_page()
    page.set_default_timeout(15_000)
    problems: list[str] = []
    for name, path in paths.items():
        resp = await page.goto(node.url + path)
        assert resp is not None
        assert resp.status == (404 if name == "not-found" else 200), name
        assert await page.locator("header .site").count() == 1, f"{name}: no layout"
        problems += await _check(page, name, axe_script, folder)
    # signed in: the dashboard and a publishing form
    await page.goto(node.url + "/admin/login")
    await page.get_by_text("With a group token").click()
    await page.get_by_label("Group token").fill(node.tokens["tenants"])
    await page.get_by_role("button", name="Sign in with the token").click()
    for name, path in (("dashboard", "/admin"), ("form", "/admin/call/new")):
        await page.goto(node.url + path)
        problems += await _check(page, name, axe_script, folder)
    await context.close()
    assert problems == [], "\n".join(problems)


async def _tab_to(page: Any, selector: str, limit: int = 80) -> None:
    """Press Tab until `selector` has the focus (it is reachable by keyboard)."""
    for _ in range(limit):
        if await page.evaluate(f"document.activeElement.matches({selector!r})"):
            return
        await page.keyboard.press("Tab")
    pytest.fail(f"{selector} is not reachable with Tab")


async def test_an_offer_is_published_with_the_keyboard_alone(
    browser: Any,  # noqa: F811 (the fixture)
    nodes: Nodes,
    tmp_path: Path,
) -> None:
    node = await nodes.start("keys", "127.0.0.7")
    token = await node.group("tenants")
    page = await browser.new_page()
    page.set_default_timeout(10_000)
    await page.goto(node.url + "/admin/login")
    await _tab_to(page, "summary")  # the token's disclosure, opened with Enter
    await page.keyboard.press("Enter")
    await _tab_to(page, "input[name=token]")
    await page.keyboard.type(token)
    await page.keyboard.press("Enter")
    await page.wait_for_url(re.compile(r"/admin$|/admin\?"))
    await page.goto(node.url + "/admin/offer/new")
    typed = {
        "input[name=title]": "Street medic trainings",
        "textarea[name=body]": "Two evenings, first aid at actions.",
        "input[name=areaServed]": "The whole city",
        "input[name=availability]": "weekday evenings",
        "input[name=howToAsk]": "reply to this post",
    }
    for selector, text in typed.items():
        await _tab_to(page, selector)
        await page.keyboard.type(text)
    await _tab_to(page, "select[name=capability]")
    await page.keyboard.press("End")  # the last capability: other help
    await _tab_to(page, "button[value=publish]")
    await page.keyboard.press("Enter")
    await page.wait_for_url(re.compile(r"done=published"))
    stored = await node.db.fetchrow("SELECT kind, fields FROM objects")
    assert stored["kind"] == "offer"
    assert stored["fields"]["title"] == "Street medic trainings"
    assert stored["fields"]["capability"] == "other"
    await page.screenshot(path=str(artifacts(tmp_path) / "keyboard-published.png"))
