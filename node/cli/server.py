"""Commands that run the node and its database: init, serve, db."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import structlog
from aiohttp import web

from node import __version__
from node.cli.base import CommandError
from node.config import SETTINGS_DOC, Settings, default_config_path, worker_count

log = structlog.get_logger(__name__)


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """`init`, `serve` and `db`."""
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
        help="database: init, status, migrate",
        description="Create, inspect or migrate the node's database.",
    )
    db_sub = p_db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    db_sub.add_parser(
        "init",
        help="create the node's database (the only command but serve and restore that may)",
    ).set_defaults(func=cmd_db_init)
    db_sub.add_parser(
        "status", help="list applied and pending migrations"
    ).set_defaults(func=cmd_db_status)
    db_sub.add_parser("migrate", help="apply pending migrations").set_defaults(
        func=cmd_db_migrate
    )


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
    from node.runtime.app import create_app
    from node.runtime.supervisor import spawned_workers_ctx

    role = getattr(args, "role", "all")
    log.info(
        "node_starting",
        url=settings.url,
        host=settings.host,
        port=settings.port,
        role=role,
        version=__version__,
    )
    count = worker_count(settings.worker_processes, _cpus()) if role == "all" else 0
    # with worker processes of its own, this one serves and they work (apply what came
    # in, deliver): requests never wait behind background work on this event loop
    app = create_app(settings, role="web" if count else role)
    if count:
        app.cleanup_ctx.append(spawned_workers_ctx(count, args.config))
    if role == "worker":
        _lower_priority(settings.worker_nice)
        asyncio.run(_run_headless(app))
    else:
        from node.runtime import http

        try:
            asyncio.run(
                http.serve(
                    app,
                    host=settings.host,
                    port=settings.port,
                    client_timeout=settings.client_timeout,
                    max_connections=settings.max_connections,
                )
            )
        except OSError as exc:
            msg = f"cannot listen on {settings.host}:{settings.port}: {exc.strerror}"
            raise CommandError(msg) from None
    log.info("node_stopped")
    return 0


def _lower_priority(nice: int) -> None:
    """A worker yields the cores to request handling under load (it catches up after)."""
    if nice and hasattr(os, "nice"):
        try:
            os.nice(nice)
        except OSError as exc:
            log.warning("worker_nice_failed", error=str(exc))


def _cpus() -> int | None:
    """The cores this process may run on (a container's cpuset), else all the machine's."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count()


async def _run_headless(app: web.Application) -> None:
    """Run the app's resources and workers with no HTTP listener until SIGINT/SIGTERM (or,
    when a supervisor started it, until that process is gone)."""
    from node.runtime.supervisor import watch_parent

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
    """`action` on the node's database server; never initialises an embedded cluster."""
    from node.cli.base import no_node
    from node.storage.server import NoDatabaseError, database_server, describe

    print(f"movement-node: {describe(settings)}", file=sys.stderr)
    try:
        async with database_server(settings, create=False) as dsn:
            return await action(dsn)
    except NoDatabaseError as exc:
        raise no_node(exc) from None


def cmd_db_init(settings: Settings, args: argparse.Namespace) -> int:
    """Create (or reach) the node's database, migrate it and make its system actors."""
    from node.runtime.database import open_node_database
    from node.storage.server import describe

    async def init() -> int:
        async with open_node_database(settings, max_size=2):
            pass
        print(f"ready: {describe(settings)}")
        return 0

    return asyncio.run(init())


def cmd_db_status(settings: Settings, args: argparse.Namespace) -> int:
    from node.storage import migrate

    async def show(dsn: str) -> int:
        state = await migrate.status_dsn(dsn)
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
