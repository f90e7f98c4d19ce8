"""Claiming stored inbox rows: a row picked by one processor and meanwhile applied or failed
by another is not run again (nor past its attempts cap, nor before its retry time)."""

from __future__ import annotations

from typing import Any

import pytest

from node.storage import inbox

pytestmark = pytest.mark.db


async def _row(db: Any, n: int) -> int:
    activity_id = f"https://remote.example/a/{n}"
    body = {"id": activity_id, "type": "Like"}
    row = (activity_id, "https://remote.example/u/x", "Like", body)
    assert await inbox.insert_many(db, [row]) == [True]
    row_id = await db.fetchval(
        "SELECT id FROM inbox WHERE activity_id = $1", activity_id
    )
    assert row_id is not None
    return int(row_id)


async def _lock(db: Any, row_id: int) -> Any:
    async with db.acquire() as conn, conn.transaction():
        return await inbox.lock_first(conn, [row_id])


async def test_a_due_row_is_locked(db: Any) -> None:
    row_id = await _row(db, 1)
    row = await _lock(db, row_id)
    assert row is not None
    assert row["id"] == row_id


async def test_a_row_that_reached_its_attempts_cap_meanwhile_is_not_run_again(
    db: Any,
) -> None:
    row_id = await _row(db, 2)
    # another processor failed it for the last time after this one picked it
    await db.execute(
        "UPDATE inbox SET attempts = $2, retry_at = now() - interval '1 s' WHERE id = $1",
        row_id,
        inbox.MAX_ATTEMPTS,
    )
    assert await _lock(db, row_id) is None


async def test_a_row_failed_meanwhile_waits_for_its_retry_time(db: Any) -> None:
    row_id = await _row(db, 3)
    async with db.acquire() as conn, conn.transaction():
        await inbox.mark_failed(conn, row_id, "boom", 1)
    assert await _lock(db, row_id) is None


async def test_a_row_applied_meanwhile_is_not_run_again(db: Any) -> None:
    row_id = await _row(db, 4)
    async with db.acquire() as conn:
        await inbox.mark_processed(conn, row_id)
    assert await _lock(db, row_id) is None
