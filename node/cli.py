"""The movement-node command line: init, serve, db, and actor administration."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any

import structlog
from aiohttp import web

from node import __version__
from node.cli_actors import CliError, add_actor_commands, add_federation_commands
from node.cli_confederation import add_confederation_commands
from node.cli_federation import add_follow_commands
from node.cli_movement import add_movement_commands
from node.cli_ops import add_ops_commands
from node.config import (
    SETTINGS_DOC,
    ConfigError,
    Settings,
    default_config_path,
    load_settings,
    worker_count,
)
from node.logging import configure_logging

log = structlog.get_logger(__name__)
EXIT_USAGE = 2


class CommandError(Exception):
    """A command cannot do what was asked; the message is shown as is."""


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="movement-node",
        description="A federated ActivityPub node for movement groups.",
        epilog="Settings come from an optional TOML file (see `init`) and MOVEMENT_NODE_* "
        "environment variables; DATABASE_URL selects an external PostgreSQL.",
    )
    parser.add_argument(
        "--version", action="version", version=f"movement-node {__version__}"
    )
    parser.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="TOML settings file (default: DATA_DIR/movement-node.toml)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p_init = sub.add_parser(
        "init",
        help="write a commented TOML settings file",
        description="Write a commented TOML settings file listing every setting and its default.",
    )
    p_init.add_argument(
        "--path", type=Path, help="where to write it (default: the default config path)"
    )
    p_init.add_argument(
        "--force", action="store_true", help="overwrite an existing file"
    )
    p_init.set_defaults(func=cmd_init)

    p_serve = sub.add_parser(
        "serve",
        help="run the node (HTTP server)",
        description="Run the node until SIGINT/SIGTERM; starts the embedded PostgreSQL unless DATABASE_URL is set.",
    )
    p_serve.add_argument(
        "--role",
        choices=("all", "web", "worker"),
        default="all",
        help="all (default): HTTP and background workers; web: HTTP only; worker: inbox processing and delivery only",
    )
    p_serve.set_defaults(func=cmd_serve)

    p_db = sub.add_parser(
        "db",
        help="database: status, migrate",
        description="Inspect or migrate the node's database.",
    )
    db_sub = p_db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    db_sub.add_parser(
        "status", help="list applied and pending migrations"
    ).set_defaults(func=cmd_db_status)
    db_sub.add_parser("migrate", help="apply pending migrations").set_defaults(
        func=cmd_db_migrate
    )

    add_actor_commands(sub)
    add_federation_commands(sub)
    add_follow_commands(sub)
    add_confederation_commands(sub)
    add_movement_commands(sub)
    add_ops_commands(sub)
    return parser


def cmd_init(settings: Settings, args: argparse.Namespace) -> int:
    path: Path = args.path or args.config or default_config_path(os.environ)
    if path.exists() and not args.force:
        msg = f"{path} exists; use --force to overwrite it"
        raise CommandError(msg)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_config(Settings()), encoding="utf-8")
    print(f"wrote {path}")
    return 0


def render_config(defaults: Settings) -> str:
    """A TOML file with every setting commented out at its default."""
    lines = [
        "# movement-node settings. Environment variables MOVEMENT_NODE_<NAME> override",
        "# these (DATABASE_URL for database_url). Uncomment to change a default.",
        "",
    ]
    for key, (_kind, doc) in SETTINGS_DOC.items():
        value = getattr(defaults, key)
        if key == "data_dir":
            shown = (
                '"~/.local/share/movement-node"  # default: the per-user data directory'
            )
        elif isinstance(value, bool):
            shown = "true" if value else "false"
        elif key == "worker_processes" and value is None:
            shown = '"auto"'
        elif value is None:
            shown = '""  # unset'
        elif isinstance(value, int):
            shown = str(value)
        else:
            shown = f'"{value}"'
        lines += [f"# {doc}", f"# {key} = {shown}", ""]
    return "\n".join(lines)


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    from node.app import create_app
    from node.supervisor import spawned_workers_ctx

    role = getattr(args, "role", "all")
    log.info(
        "node_starting",
        url=settings.url,
        host=settings.host,
        port=settings.port,
        role=role,
        version=__version__,
    )
    app = create_app(settings, role=role)
    if role == "all" and (count := worker_count(settings.worker_processes, _cpus())):
        app.cleanup_ctx.append(spawned_workers_ctx(count, args.config))
    if role == "worker":
        asyncio.run(_run_headless(app))
    else:
        try:
            web.run_app(
                app,
                host=settings.host,
                port=settings.port,
                access_log=None,
                print=None,
                shutdown_timeout=10,
            )
        except OSError as exc:
            msg = f"cannot listen on {settings.host}:{settings.port}: {exc.strerror}"
            raise CommandError(msg) from None
    log.info("node_stopped")
    return 0


def _cpus() -> int | None:
    """The cores this process may run on (a container's cpuset), else all the machine's."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count()


async def _run_headless(app: web.Application) -> None:
    """Run the app's resources and workers with no HTTP listener until SIGINT/SIGTERM (or,
    when a supervisor started it, until that process is gone)."""
    from node.supervisor import watch_parent

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    watcher = asyncio.create_task(watch_parent(stop))
    try:
        await stop.wait()
    finally:
        watcher.cancel()
        await runner.cleanup()


async def _with_db(
    settings: Settings, action: Callable[[str], Coroutine[Any, Any, int]]
) -> int:
    from node.storage.server import database_server

    async with database_server(settings) as dsn:
        return await action(dsn)


def cmd_db_status(settings: Settings, args: argparse.Namespace) -> int:
    import asyncpg

    from node.storage import migrate

    async def show(dsn: str) -> int:
        conn = await asyncpg.connect(dsn)
        try:
            state = await migrate.status(conn)
        finally:
            await conn.close()
        for version, name in state.applied:
            print(f"applied  {version:04d}_{name}")
        for version, name in state.pending:
            print(f"pending  {version:04d}_{name}")
        return 0

    return asyncio.run(_with_db(settings, show))


def cmd_db_migrate(settings: Settings, args: argparse.Namespace) -> int:
    from node.storage import migrate

    async def run(dsn: str) -> int:
        applied = await migrate.apply_dsn(dsn)
        print(
            f"applied {len(applied)} migration(s)"
            + (f": {', '.join(f'{v:04d}' for v in applied)}" if applied else "")
        )
        return 0

    return asyncio.run(_with_db(settings, run))


def main(argv: Sequence[str] | None = None) -> int:
    parser = _build_parser()
    args = parser.parse_args(argv)
    try:
        settings = (
            Settings()
            if args.func is cmd_init
            else load_settings(config_path=args.config)
        )
    except ConfigError as exc:
        print(f"movement-node: error: setting {exc}", file=sys.stderr)
        return EXIT_USAGE
    configure_logging(json=settings.log_format == "json", level=settings.log_level)
    try:
        result: int = args.func(settings, args)
    except (CommandError, CliError) as exc:
        print(f"movement-node: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return result
