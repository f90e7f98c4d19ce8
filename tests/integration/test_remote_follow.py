"""Remote follow from a group's page: the visitor's handle, their server's WebFinger and
its subscribe template (as Mastodon serves it), a 303 to their server's follow page; and
every way it is refused without sending the visitor anywhere."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest

from node.runtime import appkeys
from node.services.actors import create_actor
from tests.integration.test_browser import browser  # noqa: F401 (fixture)
from tests.peer import Peer

pytestmark = [pytest.mark.db, pytest.mark.integration]
HTML = {"Accept": "text/html"}


@pytest.fixture
async def node(make_client: Any) -> Any:
    client = await make_client()
    await create_actor(
        client.app[appkeys.DB],
        kind="group",
        name="tenants",
        display_name="Tenants Union",
    )
    return client


def _acct(peer: Peer, user: str = "alice") -> str:
    return f"{user}@{peer.base.split('://', 1)[1]}"


async def test_the_group_page_sends_a_visitor_to_their_own_server_to_follow(
    node: Any, peer: Peer
) -> None:
    page = await (await node.get("/actors/tenants", headers=HTML)).text()
    assert 'action="/actors/tenants/follow"' in page
    assert 'name="acct"' in page
    me = f"{node.app[appkeys.SETTINGS].url}/actors/tenants"
    for typed in (_acct(peer), f"@{_acct(peer)}", f"  acct:{_acct(peer)} "):
        resp = await node.post(
            "/actors/tenants/follow", data={"acct": typed}, allow_redirects=False
        )
        assert resp.status == 303, typed
        assert resp.headers["Location"] == (
            f"{peer.base}/authorize_interaction?uri={quote(me, safe='')}"
        )


async def test_a_template_for_another_host_is_no_redirect(
    node: Any, peer: Peer
) -> None:
    peer.subscribe_template = "https://phishing.example/login?next={uri}"
    resp = await node.post(
        "/actors/tenants/follow", data={"acct": _acct(peer)}, allow_redirects=False
    )
    assert resp.status == 422
    page = await resp.text()
    assert "offers no follow link" in page
    assert "phishing" not in page
    assert "@tenants@" in page, "the handle to paste instead"


async def test_no_template_unknown_people_and_non_handles_say_what_to_do(
    node: Any, peer: Peer
) -> None:
    peer.subscribe_template = None
    cases = {
        _acct(peer): "offers no follow link",
        _acct(peer, "nobody"): "could not be asked",
        "not a handle": "not a fediverse handle",
        "https://example.com/@x": "not a fediverse handle",
        "": "not a fediverse handle",
    }
    for typed, said in cases.items():
        resp = await node.post(
            "/actors/tenants/follow", data={"acct": typed}, allow_redirects=False
        )
        assert resp.status == 422, typed
        assert said in await resp.text(), typed
    resp = await node.post("/actors/nobody/follow", data={"acct": _acct(peer)})
    assert resp.status == 404


async def test_a_private_address_is_not_asked_unless_the_node_allows_it(
    make_client: Any, peer: Peer
) -> None:
    node = await make_client(allow_private_network=False)
    await create_actor(node.app[appkeys.DB], kind="group", name="tenants")
    resp = await node.post(
        "/actors/tenants/follow", data={"acct": _acct(peer)}, allow_redirects=False
    )
    assert resp.status == 422
    assert "could not be asked" in await resp.text()


async def test_look_ups_are_rate_limited_per_client(node: Any, peer: Peer) -> None:
    statuses = []
    for _ in range(22):
        resp = await node.post(
            "/actors/tenants/follow",
            data={"acct": "not a handle"},
            allow_redirects=False,
        )
        statuses.append(resp.status)
    assert statuses[:20] == [422] * 20
    assert statuses[-1] == 429


@pytest.mark.browser
async def test_in_chromium_the_follow_form_reaches_the_visitors_server(
    browser: Any,  # noqa: F811 (the fixture)
    nodes: Any,
    peer: Peer,
) -> None:
    """The page's CSP lets the form's answer send the visitor on (browsers check
    form-action against redirects too)."""
    node = await nodes.start("web", "127.0.0.8")
    await node.group("tenants")
    page = await browser.new_page()
    page.set_default_timeout(10_000)
    await page.goto(node.actor("tenants"))
    await page.get_by_label("Follow tenants from your fediverse account").fill(
        _acct(peer)
    )
    async with page.expect_navigation(url=f"{peer.base}/authorize_interaction*"):
        await page.get_by_role("button", name="Follow").click()
    assert page.url == (
        f"{peer.base}/authorize_interaction?uri={quote(node.actor('tenants'), safe='')}"
    )
