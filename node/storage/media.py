"""Queries: uploaded images (`media`) and the pictures on local actors."""

from __future__ import annotations

from typing import Any

import asyncpg

from node.storage.channels import Channel, notify
from node.storage.db import Connection, Pool

_COLUMNS = "name, local_actor_id, purpose, media_type, width, height, bytes"


async def insert(
    pool: Pool | Connection,
    *,
    name: str,
    local_actor_id: int,
    purpose: str,
    media_type: str,
    width: int,
    height: int,
    size: int,
    sha256: str,
    uploaded_by: str | None,
) -> None:
    await pool.execute(
        """INSERT INTO media (name, local_actor_id, purpose, media_type, width, height,
                              bytes, sha256, uploaded_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)""",
        name,
        local_actor_id,
        purpose,
        media_type,
        width,
        height,
        size,
        sha256,
        uploaded_by,
    )


async def owned(
    conn: Pool | Connection, local_actor_id: int, names: list[str], purpose: str
) -> dict[str, asyncpg.Record]:
    """Those of `names` that `local_actor_id` uploaded for `purpose`, by name."""
    rows = await conn.fetch(
        f"""SELECT {_COLUMNS} FROM media
            WHERE local_actor_id = $1 AND purpose = $3 AND name = ANY($2::text[])""",
        local_actor_id,
        names,
        purpose,
    )
    return {r["name"]: r for r in rows}


async def set_pictures(
    conn: Connection,
    local_actor_id: int,
    *,
    icon_url: str | None,
    image_url: str | None,
) -> None:
    await conn.execute(
        "UPDATE local_actors SET icon_url = $2, image_url = $3 WHERE id = $1",
        local_actor_id,
        icon_url,
        image_url,
    )
    await notify(conn, Channel.KEYS)  # served actor documents are rebuilt


async def exists(pool: Pool, name: str) -> bool:
    found: Any = await pool.fetchval("SELECT 1 FROM media WHERE name = $1", name)
    return found is not None
