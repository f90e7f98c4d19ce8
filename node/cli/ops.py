"""CLI for running a node: backup, restore, key rotation and export."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

from node.cli.base import CommandError, run
from node.cli.progress import progress
from node.config import Settings
from node.storage.db import Pool


def cmd_backup(settings: Settings, args: argparse.Namespace) -> int:
    from node.cli.base import no_node
    from node.storage import backup
    from node.storage.server import NoDatabaseError, database_server, describe

    print(f"movement-node: {describe(settings)}", file=sys.stderr)

    async def run() -> int:
        try:
            async with (
                database_server(settings, create=False) as dsn,
                progress("dumping the database"),
            ):
                size = await backup.dump(dsn, args.file)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from None
        except NoDatabaseError as exc:
            raise no_node(exc) from None
        print(f"wrote {args.file} ({size} bytes); it holds private keys: keep it safe")
        return 0

    return asyncio.run(run())


def cmd_restore(settings: Settings, args: argparse.Namespace) -> int:
    from node.storage import backup, migrate
    from node.storage.server import database_server

    async def run() -> int:
        async with database_server(settings) as dsn:
            try:
                async with progress(f"restoring {args.file}"):
                    await backup.restore(dsn, args.file)
            except backup.BackupError as exc:
                raise CommandError(str(exc)) from None
            applied = await migrate.apply_dsn(dsn)
        print(
            f"restored {args.file}"
            + (f"; applied {len(applied)} newer migration(s)" if applied else "")
        )
        return 0

    return asyncio.run(run())


def cmd_keys_rotate(settings: Settings, args: argparse.Namespace) -> int:
    from node.clock import utcnow
    from node.services.key_rotation import rotate_key

    grace = settings.signature_window if args.grace is None else args.grace
    if grace < 0:
        msg = "--grace: a number of seconds, 0 or more"
        raise CommandError(msg)

    async def action(pool: Pool) -> int:
        try:
            done = await rotate_key(
                pool,
                base_url=settings.url,
                name=args.actor,
                grace=timedelta(seconds=grace),
                now=utcnow(),
            )
        except LookupError as exc:
            raise CommandError(str(exc)) from None
        print(f"new key {done.new_key_id}")
        if grace:
            print(
                f"old key {done.old_key_id} verifies until {done.old_valid_until:%Y-%m-%d %H:%M:%SZ}"
            )
        else:
            print(f"old key {done.old_key_id} no longer verifies")
        print(f"Update of the actor queued for {done.deliveries} inbox(es)")
        return 0

    return run(settings, action)


def cmd_export(settings: Settings, args: argparse.Namespace) -> int:
    from node.services.export import export_actor

    async def action(pool: Pool) -> int:
        try:
            async with progress(f"exporting {args.group}"):
                document = await export_actor(
                    pool, base_url=settings.url, name=args.group
                )
        except LookupError as exc:
            raise CommandError(str(exc)) from None
        text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
        if args.output is None:
            sys.stdout.write(text)
        else:
            await asyncio.to_thread(_write_private, args.output, text)
            print(
                f"wrote {args.output}: {document['outbox']['totalItems']} activities, "
                f"{len(document['objects'])} objects, "
                f"{document['followers']['totalItems']} followers"
            )
        return 0

    return run(settings, action)


def _write_private(path: Path, text: str) -> None:
    from node.storage.backup import private_file

    private_file(path)
    path.write_text(text, encoding="utf-8")


def register(sub: Any) -> None:
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
    p = sub.add_parser(
        "keys",
        help="key rotation",
        description="Manage local actors' signing keys.",
    )
    keys_sub = p.add_subparsers(dest="keys_command", metavar="ACTION", required=True)
    p = keys_sub.add_parser(
        "rotate",
        help="give ACTOR a new key and tell its followers",
        description="Give a local actor a new key pair and send an Update of the actor to "
        "its followers. The old key keeps verifying for --grace seconds (default: the "
        "signature window) for requests already in flight; after a leak use --grace 0.",
    )
    p.add_argument(
        "actor",
        metavar="ACTOR",
        help="local actor name (the instance actor is 'actor')",
    )
    p.add_argument(
        "--grace",
        type=int,
        metavar="SECONDS",
        help="how long the old key still verifies",
    )
    p.set_defaults(func=cmd_keys_rotate)
    p = sub.add_parser(
        "export",
        help="write a group's objects and followers as ActivityStreams JSON",
        description="Write a local actor's document, its outbox, its objects (Tombstones "
        "included) and its followers and following as ActivityStreams JSON. The follower "
        "list is sensitive: the file is written readable by its owner only.",
    )
    p.add_argument("group", metavar="GROUP", help="local actor name")
    p.add_argument("--output", "-o", type=Path, metavar="FILE", help="default: stdout")
    p.set_defaults(func=cmd_export)
