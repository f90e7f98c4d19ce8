"""Uploaded images: re-encode and keep them, attach them to objects, picture a group.

An upload is decoded and encoded anew in a worker thread (at most two at once per process,
so uploads never starve the event loop of the cores), its bytes written to the media store,
then its row committed: an image is served once both hold it. A name is random and never
reused; what an image belongs to is checked again where it is used (an object's `images`,
a group's avatar and header), so an id learned from someone else's page attaches nothing.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

import structlog

from node.domain.actors import LocalActor
from node.media.images import Encoded, Purpose, reencode
from node.media.stores import MediaStore
from node.movement.schemas import FieldError
from node.services.publish import send_actor_update
from node.storage import actors as actor_store, media as store
from node.storage.db import Connection, Pool

log = structlog.get_logger(__name__)
_ENCODING = asyncio.Semaphore(2)


@dataclass(frozen=True, slots=True)
class Uploaded:
    name: str
    url: str
    media_type: str
    width: int
    height: int
    size: int
    purpose: Purpose

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.name,
            "url": self.url,
            "mediaType": self.media_type,
            "width": self.width,
            "height": self.height,
            "bytes": self.size,
            "purpose": str(self.purpose),
        }


def media_url(base_url: str, name: str) -> str:
    return f"{base_url}/media/{name}"


async def upload(
    pool: Pool,
    media: MediaStore,
    *,
    base_url: str,
    actor: LocalActor,
    data: bytes,
    purpose: Purpose,
    uploaded_by: str | None,
) -> Uploaded:
    """Re-encode `data` and keep it as `actor`'s.

    Raises:
        ImageError: the bytes are refused (nothing is kept).
    """
    async with _ENCODING:
        encoded: Encoded = await asyncio.to_thread(reencode, data, purpose)
    name = f"{secrets.token_urlsafe(16)}.{encoded.extension}"
    await media.put(name, encoded.data, encoded.media_type)
    await store.insert(
        pool,
        name=name,
        local_actor_id=actor.id,
        purpose=str(purpose),
        media_type=encoded.media_type,
        width=encoded.width,
        height=encoded.height,
        size=len(encoded.data),
        sha256=hashlib.sha256(encoded.data).hexdigest(),
        uploaded_by=uploaded_by,
    )
    log.info("media_uploaded", name=name, actor=actor.name, purpose=str(purpose))
    return Uploaded(
        name,
        media_url(base_url, name),
        encoded.media_type,
        encoded.width,
        encoded.height,
        len(encoded.data),
        purpose,
    )


async def attachments(
    conn: Connection, base_url: str, actor: LocalActor, data: Any
) -> tuple[list[dict[str, Any]], list[FieldError]]:
    """The AS2 attachments for authoring `data`'s `images` (each `{media, alt}` an
    attachment upload of `actor`'s), and a FieldError for each that is not."""
    given = data.get("images") if isinstance(data, dict) else None
    if not isinstance(given, list):
        return [], []
    names = [i.get("media") for i in given if isinstance(i, dict)]
    found = await store.owned(
        conn, actor.id, [n for n in names if isinstance(n, str)], Purpose.ATTACHMENT
    )
    documents, errors = [], []
    for index, image in enumerate(given):
        if not isinstance(image, dict):
            continue  # the schema has said so
        row = found.get(image.get("media"))  # type: ignore[arg-type]
        if row is None:
            errors.append(
                FieldError(
                    f"images.{index}.media", "no image of this group's by that id"
                )
            )
            continue
        documents.append(
            {
                # Mastodon takes Document and Image alike; `name` is the description
                "type": "Document",
                "mediaType": row["media_type"],
                "url": media_url(base_url, row["name"]),
                "name": image.get("alt", ""),
                "width": row["width"],
                "height": row["height"],
            }
        )
    return documents, errors


class PictureError(LookupError):
    """An avatar or header that is not one of the group's uploads for that purpose."""

    def __init__(self, *, field: str) -> None:
        super().__init__(f"{field}: no {field} image of this group's by that id")
        self.field = field


async def set_pictures(
    pool: Pool,
    *,
    base_url: str,
    actor: LocalActor,
    avatar: str | None,
    header: str | None,
    keep: frozenset[str] = frozenset(),
) -> LocalActor:
    """Give `actor` the uploads named as its avatar and header (None: none; a field in
    `keep` stays as it is) and send an Update of the actor to its followers, in one
    transaction.

    Raises:
        PictureError: a name is not the group's upload for that purpose.
    """
    async with pool.acquire() as conn, conn.transaction():
        await actor_store.lock_local(conn, actor.name)
        current = await actor_store.local_by_name(conn, actor.name)
        if current is None:
            raise PictureError(field="avatar")
        urls: dict[str, str | None] = {}
        for field, name, purpose, now in (
            ("avatar", avatar, Purpose.AVATAR, current.icon_url),
            ("header", header, Purpose.HEADER, current.image_url),
        ):
            if field in keep:
                urls[field] = now
            elif name is None:
                urls[field] = None
            elif await store.owned(conn, actor.id, [name], purpose):
                urls[field] = media_url(base_url, name)
            else:
                raise PictureError(field=field)
        await store.set_pictures(
            conn, actor.id, icon_url=urls["avatar"], image_url=urls["header"]
        )
        pictured = await actor_store.local_by_name(conn, actor.name)
        assert pictured is not None  # noqa: S101 (locked above)
        await send_actor_update(conn, base_url=base_url, actor=pictured)
    return pictured
