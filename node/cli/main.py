"""The movement-node command line: the parser of every command family, and main()."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import structlog

from node import __version__
from node.cli import (
    actors,
    confederation,
    follows,
    moderation,
    ops,
    publishing,
    queues,
    server,
)
from node.cli.base import CommandError
from node.config import ConfigError, Settings, load_settings
from node.logging import configure_logging

log = structlog.get_logger(__name__)
EXIT_USAGE = 2


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

    for register in (
        server.register,
        actors.register,
        publishing.register,
        follows.register,
        moderation.register,
        queues.register,
        confederation.register,
        ops.register,
    ):
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _build_parser()
    args = parser.parse_args(argv)
    try:
        settings = (
            Settings()
            if args.func is server.cmd_init
            else load_settings(config_path=args.config)
        )
    except ConfigError as exc:
        print(f"movement-node: error: setting {exc}", file=sys.stderr)
        return EXIT_USAGE
    configure_logging(json=settings.log_format == "json", level=settings.log_level)
    try:
        result: int = args.func(settings, args)
    except CommandError as exc:
        print(f"movement-node: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return result
