"""CLI for running a node: backup, restore, key rotation and export."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

from node.cli_actors import CliError
from node.config import Settings


def cmd_backup(settings: Settings, args: argparse.Namespace) -> int:
    from node.storage import backup
    from node.storage.server import database_server

    async def run() -> int:
        async with database_server(settings) as dsn:
            try:
                size = await backup.dump(dsn, args.file)
            except backup.BackupError as exc:
                raise CliError(str(exc)) from None
        print(f"wrote {args.file} ({size} bytes); it holds private keys: keep it safe")
        return 0

    return asyncio.run(run())


def cmd_restore(settings: Settings, args: argparse.Namespace) -> int:
    from node.storage import backup, migrate
    from node.storage.server import database_server

    async def run() -> int:
        async with database_server(settings) as dsn:
            try:
                await backup.restore(dsn, args.file)
            except backup.BackupError as exc:
                raise CliError(str(exc)) from None
            applied = await migrate.apply_dsn(dsn)
        print(
            f"restored {args.file}"
            + (f"; applied {len(applied)} newer migration(s)" if applied else "")
        )
        return 0

    return asyncio.run(run())


def add_ops_commands(sub: Any) -> None:
    p = sub.add_parser(
        "backup",
        help="write a consistent dump of the node's database to FILE",
        description="Write a consistent pg_dump (custom format) of the node's database, "
        "while the node runs. The file holds the actors' private keys: keep it safe.",
    )
    p.add_argument("file", type=Path, metavar="FILE")
    p.set_defaults(func=cmd_backup)
    p = sub.add_parser(
        "restore",
        help="load a backup into an empty data directory or database",
        description="Load a backup made by `backup` into the node's database, which must "
        "be empty (a new data directory, or a new DATABASE_URL database); newer "
        "migrations are applied after.",
    )
    p.add_argument("file", type=Path, metavar="FILE")
    p.set_defaults(func=cmd_restore)
