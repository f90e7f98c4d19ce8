"""Queries: the relays the instance actor subscribes to (`relays`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TypeAlias

import asyncpg

from federation.delivery.plan import Recipient
from node.storage.db import Connection, Pool

Conn: TypeAlias = "Connection | Pool"


@dataclass(frozen=True, slots=True)
class Relay:
    url: str
    inbox: str
    actor: str | None
    follow_id: str
    state: str
    created_at: datetime

    @property
    def litepub(self) -> bool:
        """Followed at its actor (LitePub), not at its inbox with Public (Mastodon-style)."""
        return self.actor == self.url


def _relay(row: asyncpg.Record) -> Relay:
    return Relay(
        row["url"],
        row["inbox"],
        row["actor"],
        row["follow_id"],
        row["state"],
        row["created_at"],
    )


_COLUMNS = "url, inbox, actor, follow_id, state, created_at"


async def add(
    conn: Conn, *, url: str, inbox: str, actor: str | None, follow_id: str
) -> bool:
    """A new subscription (pending); False when `url` is subscribed already."""
    done = await conn.fetchval(
        """INSERT INTO relays (url, inbox, actor, follow_id) VALUES ($1, $2, $3, $4)
           ON CONFLICT DO NOTHING RETURNING id""",
        url,
        inbox,
        actor,
        follow_id,
    )
    return done is not None


async def remove(conn: Conn, url: str) -> Relay | None:
    row = await conn.fetchrow(
        f"DELETE FROM relays WHERE url = $1 RETURNING {_COLUMNS}", url
    )
    return None if row is None else _relay(row)


async def all_relays(conn: Conn) -> list[Relay]:
    rows = await conn.fetch(f"SELECT {_COLUMNS} FROM relays ORDER BY created_at, id")
    return [_relay(r) for r in rows]


async def by_follow(conn: Conn, follow_id: str) -> Relay | None:
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM relays WHERE follow_id = $1", follow_id
    )
    return None if row is None else _relay(row)


async def by_actor(conn: Conn, actor: str) -> Relay | None:
    """The subscription whose relay is `actor` (pending or accepted)."""
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM relays WHERE actor = $1 AND state <> 'rejected'",
        actor,
    )
    return None if row is None else _relay(row)


async def settle(conn: Conn, *, follow_id: str, actor: str, accepted: bool) -> bool:
    """The relay's answer to our Follow: its actor is now known."""
    done = await conn.execute(
        """UPDATE relays SET state = $3, actor = $2, settled_at = now()
           WHERE follow_id = $1 AND state = 'pending'""",
        follow_id,
        actor,
        "accepted" if accepted else "rejected",
    )
    return done != "UPDATE 0"


async def accepted_recipients(conn: Conn) -> list[Recipient]:
    """The inboxes of the relays that accepted us (a relay's inbox is its shared inbox)."""
    rows = await conn.fetch(
        "SELECT url, actor, inbox FROM relays WHERE state = 'accepted' ORDER BY id"
    )
    return [Recipient(r["actor"] or r["url"], r["inbox"], r["inbox"]) for r in rows]


async def counts(pool: Pool) -> asyncpg.Record | None:
    """Subscriptions by state, objects relays brought, deliveries waiting for relays."""
    row: asyncpg.Record | None = await pool.fetchrow(
        """SELECT count(*) FILTER (WHERE state = 'pending') AS pending,
                  count(*) FILTER (WHERE state = 'accepted') AS accepted,
                  count(*) FILTER (WHERE state = 'rejected') AS rejected,
                  (SELECT count(*) FROM remote_objects WHERE via_relay IS NOT NULL)
                    AS received,
                  (SELECT count(*) FROM deliveries d
                    WHERE d.inbox IN (SELECT inbox FROM relays)) AS queued
           FROM relays"""
    )
    return row
