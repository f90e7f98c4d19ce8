"""The inbox stores accepted activities by group commit (node.services.inbox_writer):
activities that arrive together share one INSERT, each 202 still comes only after its own
activity is committed, a duplicate is a duplicate inside a batch too, and a row the
database refuses fails alone."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import asyncpg
import pytest

from node.runtime import appkeys
from node.services.inbox_writer import InboxWriter
from tests.peer import Peer

pytestmark = pytest.mark.db


def _like(peer: Peer) -> dict[str, Any]:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{peer.actor_id('alice')}#likes/{uuid.uuid4()}",
        "type": "Like",
        "actor": peer.actor_id("alice"),
        "object": "https://elsewhere.example/notes/1",
    }


async def _post(node: Any, peer: Peer, activity: dict[str, Any]) -> Any:
    body = json.dumps(activity).encode()
    url = str(node.app[appkeys.SETTINGS].url) + "/inbox"
    return await node.post(
        "/inbox", data=body, headers=peer.sign_post("alice", url, body)
    )


async def _stored(pool: Any, ids: list[str]) -> int:
    return int(
        await pool.fetchval(
            "SELECT count(*) FROM inbox WHERE activity_id = ANY($1::text[])", ids
        )
    )


async def test_activities_arriving_together_share_statements_and_are_all_stored(
    make_client: Any, peer: Peer
) -> None:
    node = await make_client()
    assert (await _post(node, peer, _like(peer))).status == 202  # alice's key, fetched
    writer = node.app[appkeys.INBOX_WRITER]
    before = writer.statements
    likes = [_like(peer) for _ in range(40)]
    answers = await asyncio.gather(*(_post(node, peer, like) for like in likes))
    assert [a.status for a in answers] == [202] * 40
    assert await _stored(node.app[appkeys.DB], [like["id"] for like in likes]) == 40
    assert writer.statements - before < 40, "some activities shared an INSERT"
    registry = node.app[appkeys.METRICS].registry
    assert registry.get_sample_value("movement_inbox_batch_size_sum") == 41
    assert registry.get_sample_value("movement_inbox_batch_size_count") == (
        writer.statements
    )


async def test_the_same_activity_twice_at_once_is_stored_once(
    make_client: Any, peer: Peer
) -> None:
    node = await make_client()
    like = _like(peer)
    answers = await asyncio.gather(*(_post(node, peer, like) for _ in range(5)))
    assert [a.status for a in answers] == [202] * 5
    assert await _stored(node.app[appkeys.DB], [like["id"]]) == 1


def _row(n: int, **body: Any) -> tuple[str, str, str, dict[str, Any]]:
    activity_id = f"https://remote.example/likes/{n}"
    return (
        activity_id,
        "https://remote.example/users/a",
        "Like",
        {"id": activity_id, "type": "Like", **body},
    )


async def test_one_batch_tells_each_caller_its_own_outcome(db: Any) -> None:
    writer = InboxWriter(db)
    outcomes = await asyncio.gather(
        writer.store(_row(1)),
        writer.store(_row(1)),
        writer.store(_row(2)),
        writer.store((None, "https://remote.example/users/a", "Like", {"n": 1})),
        writer.store((None, "https://remote.example/users/a", "Like", {"n": 2})),
    )
    assert writer.statements == 1
    assert list(outcomes) == [True, False, True, True, True]
    assert await db.fetchval("SELECT count(*) FROM inbox") == 4


async def test_a_row_the_database_refuses_fails_alone(db: Any) -> None:
    writer = InboxWriter(db)
    good, bad = await asyncio.gather(
        writer.store(_row(1)),
        writer.store(_row(2, content="\ud800")),  # PostgreSQL refuses a lone surrogate
        return_exceptions=True,
    )
    assert good is True
    assert isinstance(bad, asyncpg.DataError)
    assert writer.statements == 3, "the batch, then each row on its own"
    ids = await db.fetch("SELECT activity_id FROM inbox")
    assert [r["activity_id"] for r in ids] == [_row(1)[0]]


async def test_a_batch_that_fails_for_any_other_reason_fails_at_once(db: Any) -> None:
    """Not row by row: a sick database would make that 128 waits."""
    await db.execute("ALTER TABLE inbox RENAME TO inbox_away")
    writer = InboxWriter(db)
    outcomes = await asyncio.gather(
        *(writer.store(_row(n)) for n in range(5)), return_exceptions=True
    )
    assert all(isinstance(o, asyncpg.UndefinedTableError) for o in outcomes)
    assert writer.statements == 1
