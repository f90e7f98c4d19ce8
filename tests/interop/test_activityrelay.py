"""activityrelay (a LitePub relay that Mastodon servers use), from PyPI, as its own process
behind TLS: two nodes subscribe to it, one Mastodon-style (at its inbox) and one LitePub
style (following its actor), and a call published on one reaches the other through it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import until
from tests.interop.peers import ADDRESSES, Relay, ServedNode, activityrelay

pytestmark = [pytest.mark.db, pytest.mark.interop]
RELAY_HOST = ADDRESSES[-1]


@pytest.fixture
async def relay(tmp_path: Path, tls: tuple[Path, Path]) -> Any:
    async with activityrelay(tmp_path / "relay", tls, RELAY_HOST) as running:
        yield running


def _call() -> str:
    start = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)
    return json.dumps(
        {
            "title": "Rent strike assembly",
            "body": "Bring your neighbours.",
            "urgency": "high",
            "asks": ["turnout"],
            "startTime": start.isoformat(),
            "timezone": "UTC",
            "location": {"name": "Union hall"},
        }
    )


async def _relays(node: ServedNode) -> list[list[str]]:
    out = await node.cli("relay", "list")
    return [line.split("\t") for line in out.splitlines()]


async def _accepted(node: ServedNode) -> bool:
    return all(r[1] == "accepted" for r in await _relays(node))


async def _subscribe(node: ServedNode, relay: Relay, url: str) -> None:
    out = await node.cli("relay", "add", url)
    assert "pending" in out
    await until(lambda: _accepted(node), timeout=60, what="the relay's Accept")


async def test_a_call_reaches_a_second_node_through_the_relay(
    served: Any, relay: Relay
) -> None:
    first, second = await served("first"), await served("second")
    await _subscribe(first, relay, relay.inbox)  # Mastodon-style
    await _subscribe(second, relay, relay.actor)  # LitePub
    assert [r[2:] for r in await _relays(first)] == [["mastodon", relay.actor]]
    assert [r[2:] for r in await _relays(second)] == [["litepub", relay.actor]]
    assert relay.subscribers() == sorted([f"{first.url}/inbox", f"{second.url}/inbox"])

    await first.cli("group", "create", "tenants")
    out = await first.cli(
        "publish", "call", "--as", "tenants", "--file", "-", stdin=_call()
    )
    object_id = out.strip()  # the command prints the new object's id

    async def arrived() -> bool:
        status, _ = await second.get("/api/v1/object", id=object_id)
        return bool(status == 200)

    await until(arrived, timeout=60, what="the relayed call on the second node")
    _status, shown = await second.get("/api/v1/object", id=object_id)
    assert shown["local"] is False
    assert shown["kind"] == "call"
    assert shown["fields"]["title"] == "Rent strike assembly"
    assert shown["object"]["attributedTo"] == f"{first.url}/actors/tenants"
    metrics = await second.metrics()
    assert 'movement_relays{state="accepted"} 1.0' in metrics
    assert "movement_relay_objects_received 1.0" in metrics


async def test_a_relay_removed_gets_an_undo_and_our_posts_no_longer(
    served: Any, relay: Relay
) -> None:
    node = await served("leaving")
    await _subscribe(node, relay, relay.actor)
    await node.cli("relay", "remove", relay.actor)
    assert await _relays(node) == []
    await until(
        lambda: relay.subscribers() == [], timeout=60, what="the relay's unsubscribe"
    )
