"""Queries: local actors, remote actors and their keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeAlias

import asyncpg

from node.domain.actors import LocalActor
from node.storage.channels import Channel, notify
from node.storage.db import Connection

Pool: TypeAlias = "asyncpg.Pool[Any] | Connection"
_LOCAL_COLUMNS = (
    "id, name, kind, display_name, summary, manually_approves_followers, discoverable, "
    "icon_url, image_url, public_key_pem, created_at, key_serial, proof_public"
)


def _local(row: asyncpg.Record, *, with_private: bool = False) -> LocalActor:
    return LocalActor(
        id=row["id"],
        name=row["name"],
        kind=row["kind"],
        display_name=row["display_name"],
        summary=row["summary"],
        manually_approves_followers=row["manually_approves_followers"],
        discoverable=row["discoverable"],
        icon_url=row["icon_url"],
        image_url=row["image_url"],
        public_key_pem=row["public_key_pem"],
        created_at=row["created_at"],
        key_serial=row["key_serial"],
        private_key_pem=row["private_key_pem"] if with_private else "",
        proof_public=row["proof_public"],
    )


async def insert_local(
    pool: Pool,
    *,
    name: str,
    kind: str,
    display_name: str,
    summary: str,
    manually_approves_followers: bool,
    private_key_pem: str,
    public_key_pem: str,
    proof_key_pem: str | None = None,
    proof_public: str | None = None,
) -> LocalActor | None:
    """Insert a local actor; None when the name is taken."""
    row = await pool.fetchrow(
        f"""INSERT INTO local_actors (name, kind, display_name, summary, manually_approves_followers,
                                      private_key_pem, public_key_pem, proof_key_pem, proof_public)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
            ON CONFLICT DO NOTHING
            RETURNING {_LOCAL_COLUMNS}""",
        name,
        kind,
        display_name,
        summary,
        manually_approves_followers,
        private_key_pem,
        public_key_pem,
        proof_key_pem,
        proof_public,
    )
    return None if row is None else _local(row)


async def local_by_name(pool: Pool, name: str) -> LocalActor | None:
    row = await pool.fetchrow(
        f"SELECT {_LOCAL_COLUMNS} FROM local_actors WHERE name = $1", name
    )
    return None if row is None else _local(row)


async def local_by_id(pool: Pool, local_actor_id: int) -> LocalActor | None:
    row = await pool.fetchrow(
        f"SELECT {_LOCAL_COLUMNS} FROM local_actors WHERE id = $1", local_actor_id
    )
    return None if row is None else _local(row)


async def local_display_names(pool: Pool, names: list[str]) -> dict[str, str]:
    """The display names of these local actors (their name where they have none)."""
    rows = await pool.fetch(
        """SELECT name, coalesce(nullif(display_name, ''), name) AS shown
           FROM local_actors WHERE name = ANY($1::text[])""",
        names,
    )
    return {r["name"]: r["shown"] for r in rows}


async def local_by_kind(pool: Pool, kind: str) -> list[LocalActor]:
    rows = await pool.fetch(
        f"SELECT {_LOCAL_COLUMNS} FROM local_actors WHERE kind = $1 ORDER BY name", kind
    )
    return [_local(r) for r in rows]


async def local_clusters(pool: Pool, names: list[str]) -> dict[str, LocalActor]:
    """The local clusters among `names`, by name."""
    rows = await pool.fetch(
        f"SELECT {_LOCAL_COLUMNS} FROM local_actors WHERE kind = 'cluster' AND name = ANY($1::text[])",
        names,
    )
    return {r["name"]: _local(r) for r in rows}


async def local_with_private_key(pool: Pool, name: str) -> LocalActor | None:
    row = await pool.fetchrow(
        f"SELECT {_LOCAL_COLUMNS}, private_key_pem FROM local_actors WHERE name = $1",
        name,
    )
    return None if row is None else _local(row, with_private=True)


async def proof_key_pem(pool: Pool, local_actor_id: int) -> str | None:
    """The Ed25519 private key (PEM) a local actor signs object proofs with."""
    found: str | None = await pool.fetchval(
        "SELECT proof_key_pem FROM local_actors WHERE id = $1", local_actor_id
    )
    return found


async def without_proof_key(pool: Pool) -> list[int]:
    rows = await pool.fetch("SELECT id FROM local_actors WHERE proof_key_pem IS NULL")
    return [r["id"] for r in rows]


async def set_proof_key(
    pool: Pool, local_actor_id: int, private_pem: str, multikey: str
) -> None:
    await pool.execute(
        """UPDATE local_actors SET proof_key_pem = $2, proof_public = $3
           WHERE id = $1 AND proof_key_pem IS NULL""",
        local_actor_id,
        private_pem,
        multikey,
    )
    await notify(pool, Channel.KEYS)  # its document gains the key: cached ones go


async def count_local(pool: Pool) -> int:
    return int(
        await pool.fetchval(
            "SELECT count(*) FROM local_actors WHERE kind <> 'instance'"
        )
    )


async def upsert_remote(
    pool: asyncpg.Pool[Any],
    *,
    uri: str,
    host: str,
    type_: str,
    username: str | None,
    inbox: str,
    shared_inbox: str | None,
    document: dict[str, Any],
    keys: list[tuple[str, str]],
    fetched_at: datetime,
) -> None:
    """Store (or refresh) a remote actor and the keys its document lists."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            """INSERT INTO remote_actors (uri, host, type, preferred_username, inbox, shared_inbox, document, fetched_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
               ON CONFLICT (uri) DO UPDATE SET host = EXCLUDED.host, type = EXCLUDED.type,
                 preferred_username = EXCLUDED.preferred_username, inbox = EXCLUDED.inbox,
                 shared_inbox = EXCLUDED.shared_inbox, document = EXCLUDED.document,
                 fetched_at = EXCLUDED.fetched_at""",
            uri,
            host,
            type_,
            username,
            inbox,
            shared_inbox,
            document,
            fetched_at,
        )
        held = {
            r["key_id"]: r["public_key_pem"]
            for r in await conn.fetch(
                "SELECT key_id, public_key_pem FROM remote_keys WHERE owner = $1", uri
            )
        }
        listed = dict(keys)
        if any(listed.get(k) != pem for k, pem in held.items()):
            # a key gone or changed: every process drops what it holds of this actor's
            await notify(conn, Channel.REMOTE_KEYS, uri)
        # keys the actor no longer lists (rotated out, perhaps leaked) stop verifying here
        await conn.execute(
            "DELETE FROM remote_keys WHERE owner = $1 AND NOT key_id = ANY($2::text[])",
            uri,
            [k for k, _pem in keys],
        )
        for key_id, pem in keys:
            await conn.execute(
                """INSERT INTO remote_keys (key_id, owner, public_key_pem, fetched_at) VALUES ($1, $2, $3, $4)
                   ON CONFLICT (key_id) DO UPDATE SET owner = EXCLUDED.owner,
                     public_key_pem = EXCLUDED.public_key_pem, fetched_at = EXCLUDED.fetched_at""",
                key_id,
                uri,
                pem,
                fetched_at,
            )


async def remote_key(pool: Pool, key_id: str) -> tuple[str, str] | None:
    """(owner, pem) of a cached remote key."""
    row = await pool.fetchrow(
        "SELECT owner, public_key_pem FROM remote_keys WHERE key_id = $1", key_id
    )
    return None if row is None else (row["owner"], row["public_key_pem"])


async def remote_actor(pool: Pool, uri: str) -> dict[str, Any] | None:
    row = await pool.fetchrow("SELECT document FROM remote_actors WHERE uri = $1", uri)
    return None if row is None else dict(row["document"])


async def graced_keys(
    pool: Pool, local_actor_id: int, now: datetime
) -> tuple[tuple[str, str], ...]:
    """(key id, PEM) of the actor's rotated-out keys still inside their grace period."""
    rows = await pool.fetch(
        """SELECT key_id, public_key_pem FROM retired_keys
           WHERE local_actor_id = $1 AND valid_until > $2 ORDER BY retired_at DESC""",
        local_actor_id,
        now,
    )
    return tuple((r["key_id"], r["public_key_pem"]) for r in rows)


async def forget_remote(conn: Pool, uri: str) -> None:
    """A remote actor that deleted itself: its cached document and keys go."""
    await conn.execute("DELETE FROM remote_actors WHERE uri = $1", uri)
    await notify(conn, Channel.REMOTE_KEYS, uri)


async def lock_local(conn: Connection, name: str) -> None:
    """Lock local actor `name`'s row for this transaction (key rotation)."""
    await conn.execute("SELECT 1 FROM local_actors WHERE name = $1 FOR UPDATE", name)


async def retire_key(
    conn: Connection,
    *,
    key_id: str,
    local_actor_id: int,
    public_key_pem: str,
    retired_at: datetime,
    valid_until: datetime,
) -> None:
    """Keep a replaced key verifying until `valid_until` (a grace period)."""
    await conn.execute(
        """INSERT INTO retired_keys (key_id, local_actor_id, public_key_pem, retired_at, valid_until)
           VALUES ($1, $2, $3, $4, $5)""",
        key_id,
        local_actor_id,
        public_key_pem,
        retired_at,
        valid_until,
    )


async def replace_key(
    conn: Connection, local_actor_id: int, *, private_pem: str, public_pem: str
) -> None:
    """A new key pair (and key serial, so a new key id); every process is told."""
    await conn.execute(
        """UPDATE local_actors SET private_key_pem = $2, public_key_pem = $3,
             key_serial = key_serial + 1 WHERE id = $1""",
        local_actor_id,
        private_pem,
        public_pem,
    )
    await notify(conn, Channel.KEYS)
