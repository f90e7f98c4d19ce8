"""Where uploaded images' bytes live: a local directory (the default) or an S3-compatible
object store (for a node on several machines). Both answer the same three calls; the node
names every object itself (`{random}.{jpg|png}`), so no name from outside reaches a path or
a key. The database holds what an image is; a store holds only its bytes."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

NAME = re.compile(r"^[A-Za-z0-9_-]{16,64}\.(jpg|png)$")


class MediaStore(Protocol):
    async def put(self, name: str, data: bytes, media_type: str) -> None: ...
    async def get(self, name: str) -> bytes | None: ...
    async def delete(self, name: str) -> None: ...


def _checked(name: str) -> str:
    if not NAME.fullmatch(name):
        msg = f"not a stored media name: {name!r}"
        raise ValueError(msg)
    return name


@dataclass(frozen=True, slots=True)
class DirectoryStore:
    """Files in one directory, written whole (temporary file, fsync, rename)."""

    root: Path

    def _write(self, name: str, data: bytes) -> None:
        self.root.mkdir(parents=True, exist_ok=True, mode=0o750)
        fd, temporary = tempfile.mkstemp(dir=self.root, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, self.root / name)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise

    def _read(self, name: str) -> bytes | None:
        try:
            return (self.root / name).read_bytes()
        except FileNotFoundError:
            return None

    async def put(self, name: str, data: bytes, media_type: str) -> None:
        await asyncio.to_thread(self._write, _checked(name), data)

    async def get(self, name: str) -> bytes | None:
        return await asyncio.to_thread(self._read, _checked(name))

    async def delete(self, name: str) -> None:
        path = self.root / _checked(name)
        await asyncio.to_thread(path.unlink, missing_ok=True)


class S3Store:
    """Objects in one bucket of an S3-compatible store (aiobotocore). Credentials come
    the way every AWS client reads them (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, a
    profile, or an instance role), never from the node's settings file."""

    def __init__(self, client: Any, bucket: str, prefix: str = "media/") -> None:
        self._client = client
        self._bucket = bucket
        self._prefix = prefix

    async def put(self, name: str, data: bytes, media_type: str) -> None:
        await self._client.put_object(
            Bucket=self._bucket,
            Key=self._prefix + _checked(name),
            Body=data,
            ContentType=media_type,
        )

    async def get(self, name: str) -> bytes | None:
        from botocore.exceptions import ClientError

        try:
            found = await self._client.get_object(
                Bucket=self._bucket, Key=self._prefix + _checked(name)
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise
        async with found["Body"] as body:
            data: bytes = await body.read()
        return data

    async def delete(self, name: str) -> None:
        await self._client.delete_object(
            Bucket=self._bucket, Key=self._prefix + _checked(name)
        )


@contextlib.asynccontextmanager
async def open_store(
    *,
    directory: Path,
    s3_bucket: str | None,
    s3_endpoint: str | None,
    s3_region: str,
) -> AsyncIterator[MediaStore]:
    """The configured store, open for the life of the block."""
    if not s3_bucket:
        yield DirectoryStore(directory)
        return
    from aiobotocore.config import AioConfig
    from aiobotocore.session import get_session

    config = AioConfig(connect_timeout=5, read_timeout=15, retries={"max_attempts": 2})
    async with get_session().create_client(
        "s3", endpoint_url=s3_endpoint or None, region_name=s3_region, config=config
    ) as client:
        yield S3Store(client, s3_bucket)
