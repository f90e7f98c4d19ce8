"""The audit trail (append-only: the database refuses to change or delete a line) and a
group's actions waiting for a second admin."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from node.storage.actors import Pool


async def record(
    conn: Pool,
    *,
    via: str,
    action: str,
    target: str | None,
    detail: dict[str, Any],
    account_id: int | None = None,
    account_name: str | None = None,
    token_id: int | None = None,
    local_actor_id: int | None = None,
    group_name: str | None = None,
    at: datetime | None = None,
) -> int:
    return int(
        await conn.fetchval(
            """INSERT INTO audit_log (at, account_id, account_name, via, token_id,
                                      local_actor_id, group_name, action, target, detail)
               VALUES (coalesce($1, now()), $2, $3, $4, $5, $6, $7, $8, $9, $10)
               RETURNING id""",
            at,
            account_id,
            account_name,
            via,
            token_id,
            local_actor_id,
            group_name,
            action,
            target,
            detail,
        )
    )


async def trail(
    conn: Pool,
    *,
    local_actor_id: int | None = None,
    account_id: int | None = None,
    before: int | None = None,
    limit: int = 50,
) -> list[asyncpg.Record]:
    """Newest first; a group's lines, an account's, or (neither given) the node's."""
    return await conn.fetch(
        """SELECT id, at, account_id, account_name, via, token_id, group_name, action,
                  target, detail
           FROM audit_log
           WHERE ($1::bigint IS NULL OR local_actor_id = $1)
             AND ($2::bigint IS NULL OR account_id = $2)
             AND ($3::bigint IS NULL OR id < $3)
           ORDER BY id DESC LIMIT $4""",
        local_actor_id,
        account_id,
        before,
        limit,
    )


# -- the two-person rule


async def rules(conn: Pool, local_actor_id: int) -> set[str]:
    rows = await conn.fetch(
        "SELECT action FROM two_person_rules WHERE local_actor_id = $1", local_actor_id
    )
    return {r["action"] for r in rows}


async def set_rules(conn: Pool, local_actor_id: int, actions: set[str]) -> None:
    await conn.execute(
        "DELETE FROM two_person_rules WHERE local_actor_id = $1", local_actor_id
    )
    await conn.executemany(
        "INSERT INTO two_person_rules (local_actor_id, action) VALUES ($1, $2)",
        [(local_actor_id, a) for a in sorted(actions)],
    )


async def hold(
    conn: Pool,
    *,
    local_actor_id: int,
    action: str,
    payload: dict[str, Any],
    summary: str,
    requested_by: int,
    expires_at: datetime,
) -> int:
    return int(
        await conn.fetchval(
            """INSERT INTO pending_actions (local_actor_id, action, payload, summary,
                                            requested_by, expires_at)
               VALUES ($1, $2, $3, $4, $5, $6) RETURNING id""",
            local_actor_id,
            action,
            payload,
            summary,
            requested_by,
            expires_at,
        )
    )


async def pending(
    conn: Pool, local_actor_id: int, now: datetime
) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT p.id, p.action, p.payload, p.summary, p.created_at, p.expires_at,
                  p.requested_by, c.name AS requested_by_name
           FROM pending_actions p JOIN accounts c ON c.id = p.requested_by
           WHERE p.local_actor_id = $1 AND p.decided_at IS NULL AND p.expires_at > $2
           ORDER BY p.id""",
        local_actor_id,
        now,
    )


async def decide(
    conn: Pool,
    pending_id: int,
    *,
    local_actor_id: int,
    by: int,
    decision: str,
    now: datetime,
) -> asyncpg.Record | None:
    """Approve or refuse a live pending action of the group, by someone other than who
    asked; the action (None: no such live action, or `by` asked for it)."""
    return await conn.fetchrow(
        """UPDATE pending_actions SET decided_by = $3, decided_at = $5, decision = $4
           WHERE id = $1 AND local_actor_id = $2 AND decided_at IS NULL
             AND expires_at > $5 AND requested_by <> $3
           RETURNING id, action, payload, summary, requested_by""",
        pending_id,
        local_actor_id,
        by,
        decision,
        now,
    )
