"""Queries: objects received from other servers (`remote_objects`), their tombstones, and
the reactions (Like, Announce) remote actors made to our objects (`reactions`).

Each write is here exactly once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import asyncpg

from node.storage.db import Connection, Pool

if TYPE_CHECKING:
    from node.movement.incoming import Received

_TOMBSTONE = "jsonb_build_object('id', id, 'type', 'Tombstone')"
_SHOWN = "public AND hidden_at IS NULL AND deleted_at IS NULL"


async def insert(
    conn: Connection,
    *,
    object_id: str,
    actor: str,
    type_: str | None,
    in_reply_to: str | None,
    received: Received,
    via_relay: str | None = None,
) -> bool:
    """Keep a received object (once: a second copy of the same id changes nothing);
    False when it was there already."""
    done = await conn.execute(
        """INSERT INTO remote_objects
             (id, actor, type, in_reply_to, body, kind, fields, clusters, public, via_relay)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (id) DO NOTHING""",
        object_id,
        actor,
        type_,
        in_reply_to,
        received.body,
        received.kind,
        received.fields,
        received.clusters,
        received.public,
        via_relay,
    )
    return done != "INSERT 0 0"


async def update(
    conn: Connection, *, object_id: str, actor: str, received: Received
) -> bool:
    """Its author's new version of a live object; False when there is none by `actor`."""
    done = await conn.execute(
        """UPDATE remote_objects SET
             -- an Update cannot move an object in time: its first `published` stays
             body = CASE WHEN body ? 'published'
                         THEN $3::jsonb || jsonb_build_object('published', body->'published')
                         ELSE $3::jsonb - 'published' END,
             kind = $4, fields = $5, clusters = $6, public = $7, updated_at = now()
           WHERE id = $1 AND actor = $2 AND deleted_at IS NULL""",
        object_id,
        actor,
        received.body,
        received.kind,
        received.fields,
        received.clusters,
        received.public,
    )
    return done != "UPDATE 0"


async def tombstone(conn: Connection, object_id: str, author: str | None) -> bool:
    """Replace a live object (by `author`, when given) with a Tombstone; False when there
    was none."""
    done = await conn.execute(
        f"""UPDATE remote_objects SET body = {_TOMBSTONE}, deleted_at = now()
           WHERE id = $1 AND ($2::text IS NULL OR actor = $2) AND deleted_at IS NULL""",
        object_id,
        author,
    )
    return done != "UPDATE 0"


async def insert_tombstone(conn: Connection, *, object_id: str, actor: str) -> None:
    """A Tombstone for an object deleted before we saw it (a later Create finds it)."""
    await conn.execute(
        """INSERT INTO remote_objects (id, actor, type, body, public, deleted_at)
           VALUES ($1, $2, 'Tombstone', jsonb_build_object('id', $1::text, 'type', 'Tombstone'),
                   false, now())
           ON CONFLICT (id) DO NOTHING""",
        object_id,
        actor,
    )


async def tombstone_all_of(conn: Connection, actor: str) -> list[str]:
    """Tombstones for every live object of `actor`; the ids."""
    rows = await conn.fetch(
        f"""UPDATE remote_objects SET body = {_TOMBSTONE}, deleted_at = now()
           WHERE actor = $1 AND deleted_at IS NULL RETURNING id""",
        actor,
    )
    return [r["id"] for r in rows]


async def known_movement(conn: Connection, object_id: str) -> asyncpg.Record | None:
    """A live public movement object (kind, clusters), when already stored."""
    row: asyncpg.Record | None = await conn.fetchrow(
        """SELECT kind, clusters FROM remote_objects
           WHERE id = $1 AND public AND kind IS NOT NULL AND deleted_at IS NULL""",
        object_id,
    )
    return row


async def is_relayed(conn: Connection, object_id: str) -> bool:
    """Whether a live object was announced by one of our replicas or cluster actors."""
    return bool(
        await conn.fetchval(
            """SELECT 1 FROM remote_objects r WHERE id = $1 AND deleted_at IS NULL
                 AND EXISTS (SELECT 1 FROM confederation_announced n WHERE n.object_id = r.id)""",
            object_id,
        )
    )


async def live_movement_for(
    pool: Pool, object_id: str, local_actor_id: int | None
) -> asyncpg.Record | None:
    """A live movement object with its audience (public) and whether `local_actor_id`
    follows its author (followed)."""
    row: asyncpg.Record | None = await pool.fetchrow(
        """SELECT r.id, r.kind, r.fields, r.body, r.received_at AS published_at, r.public,
                  EXISTS (SELECT 1 FROM following f WHERE f.local_actor_id = $2
                          AND f.target = r.actor AND f.state = 'accepted') AS followed
           FROM remote_objects r
           WHERE r.id = $1 AND r.kind IS NOT NULL AND r.fields IS NOT NULL
             AND r.deleted_at IS NULL""",
        object_id,
        local_actor_id,
    )
    return row


async def reply_ids(pool: Pool, object_id: str, *, limit: int = 50) -> list[str]:
    """The shown replies to `object_id` (public, live, not hidden by an organiser),
    oldest first."""
    return [
        r["id"]
        for r in await pool.fetch(
            f"""SELECT id FROM remote_objects WHERE in_reply_to = $1 AND {_SHOWN}
               ORDER BY received_at LIMIT $2""",
            object_id,
            limit,
        )
    ]


async def reply_count(pool: Pool, object_id: str) -> int:
    return int(
        await pool.fetchval(
            f"SELECT count(*) FROM remote_objects WHERE in_reply_to = $1 AND {_SHOWN}",
            object_id,
        )
    )


# --- reactions ------------------------------------------------------------------------


async def add_reaction(
    conn: Connection, *, object_id: str, actor: str, type_: str, activity_id: str | None
) -> None:
    """One reaction of each type per actor and object."""
    await conn.execute(
        """INSERT INTO reactions (object_id, actor, type, activity_id) VALUES ($1, $2, $3, $4)
           ON CONFLICT DO NOTHING""",
        object_id,
        actor,
        type_,
        activity_id,
    )


async def remove_reaction(
    conn: Connection, *, object_id: str | None, actor: str, type_: object
) -> None:
    await conn.execute(
        "DELETE FROM reactions WHERE object_id = $1 AND actor = $2 AND type = $3",
        object_id,
        actor,
        type_,
    )


async def remove_reactions_of(conn: Connection, actor: str) -> None:
    await conn.execute("DELETE FROM reactions WHERE actor = $1", actor)


async def reaction_counts(pool: Pool, object_id: str) -> dict[str, int]:
    """Reactions to `object_id` by type (Like, Announce)."""
    return {
        r["type"]: r["n"]
        for r in await pool.fetch(
            "SELECT type, count(*) AS n FROM reactions WHERE object_id = $1 GROUP BY type",
            object_id,
        )
    }
