"""The audit trail: every action that changes or sends something, with who did it (an
account, a group's shared token, the operator's shell), when, and what changed. Never a
client address. The database keeps it append-only."""

from __future__ import annotations

from typing import Any

from node.domain.access import Acting
from node.storage import audit as store
from node.storage.db import Pool

PAGE = 50


async def record(
    pool: Pool,
    acting: Acting,
    *,
    action: str,
    target: str | None = None,
    detail: dict[str, Any] | None = None,
) -> int:
    return await store.record(
        pool,
        via=acting.via,
        action=action,
        target=target,
        detail=detail or {},
        account_id=acting.account_id,
        account_name=acting.account_name,
        token_id=acting.token_id,
        local_actor_id=None if acting.actor is None else acting.actor.id,
        group_name=None if acting.actor is None else acting.actor.name,
    )


async def shell(
    pool: Pool,
    *,
    action: str,
    target: str | None = None,
    detail: dict[str, Any] | None = None,
    group: Any = None,
) -> int:
    """A line for a command the operator ran at the node's shell."""
    return await store.record(
        pool,
        via="cli",
        action=action,
        target=target,
        detail=detail or {},
        local_actor_id=None if group is None else group.id,
        group_name=None if group is None else group.name,
    )


def line(row: Any) -> dict[str, Any]:
    return {
        "id": row["id"],
        "at": row["at"].isoformat(),
        "account": row["account_name"],
        "via": row["via"],
        "token": row["token_id"],
        "group": row["group_name"],
        "action": row["action"],
        "target": row["target"],
        "detail": row["detail"],
    }


async def trail(
    pool: Pool,
    *,
    local_actor_id: int | None = None,
    account_id: int | None = None,
    before: int | None = None,
    limit: int = PAGE,
) -> list[dict[str, Any]]:
    rows = await store.trail(
        pool,
        local_actor_id=local_actor_id,
        account_id=account_id,
        before=before,
        limit=limit,
    )
    return [line(r) for r in rows]
