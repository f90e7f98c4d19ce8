"""Queries: the follow graph (remote followers of local actors, local actors following out)."""

from __future__ import annotations

from typing import Any, TypeAlias

import asyncpg

from federation.delivery.plan import Recipient
from node.storage.db import Connection

Conn: TypeAlias = "asyncpg.Pool[Any] | Connection"


async def upsert_follower(
    conn: Conn,
    *,
    local_actor_id: int,
    follower: str,
    follow_id: str | None,
    state: str,
    inbox: str,
    shared_inbox: str | None,
) -> None:
    await conn.execute(
        """INSERT INTO followers (local_actor_id, follower, follow_id, state, inbox, shared_inbox)
           VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (local_actor_id, follower) DO UPDATE SET follow_id = EXCLUDED.follow_id,
             inbox = EXCLUDED.inbox, shared_inbox = EXCLUDED.shared_inbox,
             state = CASE WHEN followers.state = 'accepted' THEN 'accepted' ELSE EXCLUDED.state END""",
        local_actor_id,
        follower,
        follow_id,
        state,
        inbox,
        shared_inbox,
    )


async def remove_follower(conn: Conn, *, local_actor_id: int, follower: str) -> bool:
    done = await conn.execute(
        "DELETE FROM followers WHERE local_actor_id = $1 AND follower = $2",
        local_actor_id,
        follower,
    )
    return done != "DELETE 0"


async def follower_follow_id(
    conn: Conn, local_actor_id: int, follower: str
) -> str | None:
    """The id of the Follow by which `follower` follows `local_actor_id`."""
    value = await conn.fetchval(
        "SELECT follow_id FROM followers WHERE local_actor_id = $1 AND follower = $2",
        local_actor_id,
        follower,
    )
    return None if value is None else str(value)


async def remove_follower_everywhere(conn: Conn, follower: str) -> int:
    done = await conn.execute("DELETE FROM followers WHERE follower = $1", follower)
    return int(done.split()[-1])


async def remove_followers_on_inbox(conn: Conn, inbox: str) -> int:
    """410 Gone from an inbox: drop the followers delivered there (personal or shared inbox)."""
    done = await conn.execute(
        "DELETE FROM followers WHERE inbox = $1 OR shared_inbox = $1", inbox
    )
    return int(done.split()[-1])


async def follower_state(
    conn: Conn, *, local_actor_id: int, follower: str
) -> str | None:
    value = await conn.fetchval(
        "SELECT state FROM followers WHERE local_actor_id = $1 AND follower = $2",
        local_actor_id,
        follower,
    )
    return None if value is None else str(value)


async def set_follower_state(
    conn: Conn, *, local_actor_id: int, follower: str, state: str
) -> str | None:
    """Set a follower's state; returns its follow id, or None when there is no such follower."""
    row = await conn.fetchrow(
        "UPDATE followers SET state = $3 WHERE local_actor_id = $1 AND follower = $2 RETURNING follow_id",
        local_actor_id,
        follower,
        state,
    )
    return None if row is None else str(row["follow_id"] or "")


async def accepted_by_inbox(conn: Conn, local_actor_id: int) -> dict[str, set[str]]:
    """Accepted followers of a local actor, by the inbox a delivery to them goes to (their
    shared inbox when they have one)."""
    rows = await conn.fetch(
        """SELECT coalesce(shared_inbox, inbox) AS target, array_agg(follower) AS actors
           FROM followers WHERE local_actor_id = $1 AND state = 'accepted'
           GROUP BY coalesce(shared_inbox, inbox)""",
        local_actor_id,
    )
    return {r["target"]: set(r["actors"]) for r in rows}


async def accepted_recipients(conn: Conn, local_actor_id: int) -> list[Recipient]:
    """One accepted follower per delivery inbox (followers sharing an inbox collapse to one).

    A stored `shared_inbox` is always on its follower's origin (`recipient_of` vetted it
    when the follow was stored), so collapsing by it loses no one; `plan_inboxes` checks
    the representative again.
    """
    rows = await conn.fetch(
        """SELECT DISTINCT ON (coalesce(shared_inbox, inbox)) follower, inbox, shared_inbox
           FROM followers WHERE local_actor_id = $1 AND state = 'accepted'
           ORDER BY coalesce(shared_inbox, inbox), follower""",
        local_actor_id,
    )
    return [Recipient(r["follower"], r["inbox"], r["shared_inbox"]) for r in rows]


async def count_followers(conn: Conn, local_actor_id: int) -> int:
    """Accepted followers of a local actor (the only figure we publish about them)."""
    return int(
        await conn.fetchval(
            "SELECT count(*) FROM followers WHERE local_actor_id = $1 AND state = 'accepted'",
            local_actor_id,
        )
    )


async def pending_followers(conn: Conn, local_actor_id: int) -> list[str]:
    rows = await conn.fetch(
        "SELECT follower FROM followers WHERE local_actor_id = $1 AND state = 'pending' ORDER BY created_at",
        local_actor_id,
    )
    return [r["follower"] for r in rows]


async def add_following(
    conn: Conn, *, local_actor_id: int, target: str, follow_id: str
) -> None:
    await conn.execute(
        """INSERT INTO following (local_actor_id, target, follow_id, state) VALUES ($1, $2, $3, 'pending')
           ON CONFLICT (local_actor_id, target) DO UPDATE SET follow_id = EXCLUDED.follow_id, state = 'pending'""",
        local_actor_id,
        target,
        follow_id,
    )


async def follows_already(conn: Conn, *, local_actor_id: int, target: str) -> bool:
    """Has the local actor followed `target` (pending or settled)?"""
    return bool(
        await conn.fetchval(
            "SELECT 1 FROM following WHERE local_actor_id = $1 AND target = $2",
            local_actor_id,
            target,
        )
    )


async def remove_following(
    conn: Conn, *, local_actor_id: int, target: str
) -> str | None:
    """Forget a follow of ours; returns its Follow's id (to Undo it), None if there was none."""
    follow_id: str | None = await conn.fetchval(
        "DELETE FROM following WHERE local_actor_id = $1 AND target = $2 RETURNING follow_id",
        local_actor_id,
        target,
    )
    return follow_id


async def settle_following(
    conn: Conn, *, follow_id: str, target: str, state: str
) -> bool:
    """Accept/Reject of our Follow: only the followed actor may settle it."""
    done = await conn.execute(
        "UPDATE following SET state = $3 WHERE follow_id = $1 AND target = $2 AND state = 'pending'",
        follow_id,
        target,
        state,
    )
    return done != "UPDATE 0"


async def following_page(
    conn: Conn, local_actor_id: int, *, limit: int, offset: int
) -> tuple[int, list[str]]:
    total = int(
        await conn.fetchval(
            "SELECT count(*) FROM following WHERE local_actor_id = $1 AND state = 'accepted'",
            local_actor_id,
        )
    )
    rows = await conn.fetch(
        """SELECT target FROM following WHERE local_actor_id = $1 AND state = 'accepted'
           ORDER BY created_at DESC, target LIMIT $2 OFFSET $3""",
        local_actor_id,
        limit,
        offset,
    )
    return total, [r["target"] for r in rows]


async def is_followed(conn: Conn, target: str) -> bool:
    """Whether any local actor follows `target` (accepted): its posts are ours to keep."""
    return bool(
        await conn.fetchval(
            "SELECT 1 FROM following WHERE target = $1 AND state = 'accepted' LIMIT 1",
            target,
        )
    )


async def is_accepted_follower(conn: Conn, local_actor_id: int, follower: str) -> bool:
    return bool(
        await conn.fetchval(
            """SELECT 1 FROM followers
               WHERE local_actor_id = $1 AND follower = $2 AND state = 'accepted'""",
            local_actor_id,
            follower,
        )
    )


async def move_follower(conn: Conn, *, old: str, new: str, recipient: Recipient) -> int:
    """`old` moved to `new`: every follow of `old` becomes one of `new` (accepted, as it
    was), and `old` follows nothing here any more. Returns the follows moved."""
    rows = await conn.fetch(
        "SELECT local_actor_id FROM followers WHERE follower = $1", old
    )
    for row in rows:
        await conn.execute(
            """INSERT INTO followers (local_actor_id, follower, state, inbox, shared_inbox)
               VALUES ($1, $2, 'accepted', $3, $4) ON CONFLICT (local_actor_id, follower) DO NOTHING""",
            row["local_actor_id"],
            new,
            recipient.inbox,
            recipient.shared_inbox,
        )
    await conn.execute("DELETE FROM followers WHERE follower = $1", old)
    return len(rows)


async def accepted_followers(conn: Conn, local_actor_id: int) -> list[str]:
    """An actor's accepted followers, oldest first (export)."""
    return [
        r["follower"]
        for r in await conn.fetch(
            """SELECT follower FROM followers WHERE local_actor_id = $1 AND state = 'accepted'
               ORDER BY created_at, follower""",
            local_actor_id,
        )
    ]


async def accepted_following(conn: Conn, local_actor_id: int) -> list[str]:
    """Whom an actor follows (accepted), oldest first (export)."""
    return [
        r["target"]
        for r in await conn.fetch(
            """SELECT target FROM following WHERE local_actor_id = $1 AND state = 'accepted'
               ORDER BY created_at, target""",
            local_actor_id,
        )
    ]
