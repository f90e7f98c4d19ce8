"""Who may act as a group: its authoring API tokens (stored hashed, shown once) and the
publishing UI's sessions opened with one."""

from __future__ import annotations

from datetime import datetime, timedelta

from node.domain.actors import LocalActor
from node.storage import sessions, tokens
from node.storage.db import Pool

SESSION_DAYS = 14


async def create_token(pool: Pool, *, actor: LocalActor, label: str) -> tuple[int, str]:
    """A new token for `actor`: its id and the secret (never stored, shown once)."""
    return await tokens.create(pool, local_actor_id=actor.id, label=label)


async def revoke_token(pool: Pool, token_id: int) -> bool:
    """Revoke a token and end, at once, the sessions opened with it; False when there is
    no live token with that id."""
    async with pool.acquire() as conn, conn.transaction():
        if not await tokens.revoke(conn, token_id):
            return False
        await sessions.end_for_token(conn, token_id)
    return True


async def sign_in(
    pool: Pool, token: str, *, now: datetime, kinds: frozenset[str]
) -> tuple[LocalActor, str] | None:
    """Open a session for the actor a token belongs to (when its kind is in `kinds`):
    the actor and the session secret; None for an unknown or revoked token."""
    found = await tokens.live(pool, token) if token else None
    if found is None or found[1].kind not in kinds:
        return None
    token_id, actor = found
    secret, _csrf = await sessions.create(
        pool,
        local_actor_id=actor.id,
        token_id=token_id,
        expires_at=now + timedelta(days=SESSION_DAYS),
    )
    return actor, secret


async def sign_out(pool: Pool, secret: str, *, now: datetime) -> None:
    await sessions.end(pool, secret, now)
