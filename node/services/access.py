"""Who may act as a group through a group's shared token (from before accounts): making
and revoking one (stored hashed, shown once), and the publishing UI's sessions opened with
one. People sign in with their own accounts: `services.accounts`."""

from __future__ import annotations

from datetime import datetime, timedelta

from node.domain.access import Acting
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
) -> tuple[Acting, str] | None:
    """Open a session with a group's shared token (when the group's kind is in `kinds`):
    who it acts as and the session secret; None for an unknown or revoked token, or an
    account's token (a person signs in as themselves)."""
    found = await tokens.shared(pool, token, now) if token else None
    if found is None or found.actor is None or found.actor.kind not in kinds:
        return None
    secret, _csrf = await sessions.create(
        pool,
        local_actor_id=found.actor.id,
        token_id=found.token_id,
        expires_at=now + timedelta(days=SESSION_DAYS),
    )
    return found, secret


async def sign_out(pool: Pool, secret: str, *, now: datetime) -> None:
    await sessions.end(pool, secret, now)
