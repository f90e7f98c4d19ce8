"""Queries: the stored inbox (idempotent insert by activity id, pending rows)."""

from __future__ import annotations

from typing import Any, TypeAlias

import asyncpg

from federation import retry
from node.storage.channels import Channel, notify
from node.storage.db import Connection

Pool: TypeAlias = "asyncpg.Pool[Any]"
# a received activity to store: activity id (None: it has none), actor, type, body
InboxRow: TypeAlias = tuple[str | None, str, str, dict[str, Any]]


async def insert_many(pool: Pool, rows: list[InboxRow]) -> list[bool]:
    """Store several activities (activity id, actor, type, body) in one statement and one
    transaction, in their order; for each, whether it was stored (False: its activity id
    was stored before, or earlier in `rows`). One NOTIFY for the lot."""
    returned = await pool.fetch(
        """WITH rows AS (
             SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[])
                      WITH ORDINALITY AS r(activity_id, actor, type, body, n)),
           ins AS (INSERT INTO inbox (activity_id, actor, type, body)
                   SELECT activity_id, actor, type, body FROM rows ORDER BY n
                   ON CONFLICT (activity_id) DO NOTHING RETURNING activity_id)
           SELECT activity_id FROM ins, pg_notify($5, '')""",
        [r[0] for r in rows],
        [r[1] for r in rows],
        [r[2] for r in rows],
        [r[3] for r in rows],
        Channel.INBOX.value,
    )
    fresh = {r["activity_id"] for r in returned}  # each id at most once: it is UNIQUE
    outcome = []
    for activity_id, *_ in rows:
        # no id, nothing to be a duplicate of: always stored
        outcome.append(activity_id is None or activity_id in fresh)
        fresh.discard(activity_id)
    return outcome


MAX_ATTEMPTS = retry.INBOX.attempts or 5


ACTOR_LOCK_CLASS = (
    28271  # advisory-lock namespace: the remote actor whose row is applied
)
CANDIDATES = 32


async def claim_pending(
    conn: Connection, floor: int = 0
) -> tuple[asyncpg.Record | None, int]:
    """Lock the oldest due unprocessed row (of id `floor` or more) whose actor no other
    processor holds, with its actor (a transaction-scoped advisory lock), for this
    transaction; None when there is none. Holding the actor means each actor's activities
    are applied one at a time, in the order they arrived, while other processors apply
    other actors'.

    Also returns the oldest due id seen, the `floor` for the caller's next claim: applied
    rows leave dead entries at the head of the pending index until VACUUM, which a scan
    from the start walks through every time (0.1 ms per claim after 200 applied rows,
    6 ms after 4,000, measured). A caller starts again from 0 now and then (process_pending
    does on every call), for rows due again below the floor."""
    candidates = await conn.fetch(
        """SELECT id FROM inbox
           WHERE processed_at IS NULL AND attempts < $2 AND id >= $3
             AND (retry_at IS NULL OR retry_at <= now())
           ORDER BY id LIMIT $1""",
        CANDIDATES,
        MAX_ATTEMPTS,
        floor,
    )
    if not candidates:
        return None, floor
    row = await lock_first(conn, [c["id"] for c in candidates])
    return row, (candidates[0]["id"] if row is not None else floor)


async def lock_first(conn: Connection, ids: list[int]) -> asyncpg.Record | None:
    """Lock the first row of `ids` still due whose actor no other processor holds, with
    its actor (one statement: inbox_lock_first, migration 0030). Another processor may
    have applied a row, or failed it (its attempts counted, its retry later), since it was
    picked: under FOR UPDATE the conditions are checked again on the row's newest version,
    so a row never passes its attempts cap nor runs before its retry time."""
    row: asyncpg.Record | None = await conn.fetchrow(
        "SELECT * FROM inbox_lock_first($1::bigint[], $2, $3)",
        ids,
        MAX_ATTEMPTS,
        ACTOR_LOCK_CLASS,
    )
    return row


async def mark_processed(conn: Connection, row_id: int) -> None:
    await conn.execute(
        "UPDATE inbox SET processed_at = now(), error = NULL WHERE id = $1", row_id
    )


async def mark_failed(conn: Connection, row_id: int, error: str, attempts: int) -> None:
    """Record the `attempts`-th failure and when the row is due again (federation.retry.
    INBOX; after its last attempt, never: it stays, with its error, for an admin to see)."""
    await conn.execute(
        """UPDATE inbox SET attempts = attempts + 1, error = $2,
             retry_at = now() + make_interval(secs => $3) WHERE id = $1""",
        row_id,
        error[:2000],
        retry.INBOX.delay(attempts),
    )


async def failed(pool: Pool, *, limit: int = 200) -> list[asyncpg.Record]:
    """Unprocessed rows whose processing failed, newest first: waiting for their next try
    (retry_at) or given up (attempts = MAX_ATTEMPTS)."""
    return await pool.fetch(
        """SELECT id, activity_id, actor, type, received_at, attempts, retry_at, error
           FROM inbox WHERE processed_at IS NULL AND error IS NOT NULL
           ORDER BY id DESC LIMIT $1""",
        limit,
    )


async def retry_failed(pool: Pool, ids: list[int] | None) -> int:
    """Make failed rows (all, or those with `ids`) due now with a fresh set of attempts, and
    wake the processors; returns how many. Raises LookupError, changing nothing, when an id
    is not a failed unprocessed row."""
    async with pool.acquire() as conn, conn.transaction():
        rows = await conn.fetch(
            """UPDATE inbox SET attempts = 0, retry_at = NULL
               WHERE processed_at IS NULL AND error IS NOT NULL
                 AND ($1::bigint[] IS NULL OR id = ANY($1)) RETURNING id""",
            ids,
        )
        missing = sorted(set(ids or ()) - {r["id"] for r in rows})
        if missing:
            msg = f"no failed activity with id {', '.join(map(str, missing))}"
            raise LookupError(msg)
        if rows:
            await notify(conn, Channel.INBOX)
    return len(rows)


async def holds_announce_create(conn: Connection, actor: str, object_id: str) -> bool:
    """Whether `actor`'s unprocessed activities include an Announce{Create} of
    `object_id`."""
    return bool(
        await conn.fetchval(
            """SELECT 1 FROM inbox WHERE actor = $1 AND processed_at IS NULL
                 AND type = 'Announce' AND body->'object'->>'type' = 'Create'
                 AND body->'object'->'object'->>'id' = $2 LIMIT 1""",
            actor,
            object_id,
        )
    )
