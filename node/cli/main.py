"""The movement-node command line: the parser of every command family, and main()."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import structlog

from node import __version__
from node.cli import (
    accounts,
    actors,
    base,
    confederation,
    follows,
    moderation,
    ops,
    publishing,
    queues,
    relays,
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
    _common_options(parser, top=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    for register in (
        server.register,
        actors.register,
        publishing.register,
        follows.register,
        moderation.register,
        queues.register,
        relays.register,
        confederation.register,
        ops.register,
        accounts.register,
    ):
        register(sub)
    for command in _subcommands(parser):
        _common_options(command, top=False)
    return parser


def _common_options(parser: argparse.ArgumentParser, *, top: bool) -> None:
    """--config and -v, accepted before the command or after it (`serve --config F`);
    below the top, an option not given leaves the top's value alone."""
    unset: dict[str, object] = {} if top else {"default": argparse.SUPPRESS}
    parser.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="TOML settings file (default: DATA_DIR/movement-node.toml, else "
        "/etc/movement-node/movement-node.toml)",
        **unset,  # type: ignore[arg-type]
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        help="more log lines on stderr (-v: info, -vv: debug); commands other than "
        "serve log only warnings and errors by default",
        **({"default": 0} if top else unset),
    )


def _subcommands(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    """Every (nested) sub-command parser below `parser`."""
    found: list[argparse.ArgumentParser] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in dict.fromkeys(action.choices.values()):
                found += [child, *_subcommands(child)]
    return found


# commands that only read (or that run no single action on the node's database)
_READ_ONLY = {"init", "serve", "db", "actor", "audit", "backup", "restore"}
_READ_ONLY_VERBS = {"list", "show", "status", "pending", "dead", "hosts", "failed"}


def _command_words(
    parser: argparse.ArgumentParser, args: argparse.Namespace
) -> list[str]:
    """The command and its sub-commands as chosen (`token create`)."""
    words: list[str] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            chosen = getattr(args, action.dest, None)
            if chosen is not None:
                words.append(chosen)
                words += _command_words(action.choices[chosen], args)
    return words


def _shell_line(words: list[str], argv: Sequence[str]) -> dict[str, object]:
    if not words or words[0] in _READ_ONLY or set(words[1:]) & _READ_ONLY_VERBS:
        return {}
    return {"action": "cli " + " ".join(words), "detail": {"argv": list(argv)}}


def _log_level(settings: Settings, args: argparse.Namespace) -> str:
    """serve logs at its setting; any other command is quiet (its answer is on stdout)
    unless asked for more."""
    if args.func is server.cmd_serve:
        return settings.log_level
    return {0: "warning", 1: "info"}.get(args.verbose, "debug")


def main(argv: Sequence[str] | None = None) -> int:
    parser = _build_parser()
    args = parser.parse_args(argv)
    base.SHELL_LINE.clear()
    base.SHELL_LINE.update(
        _shell_line(
            _command_words(parser, args), sys.argv[1:] if argv is None else argv
        )
    )
    try:
        settings = (
            Settings()
            if args.func is server.cmd_init
            else load_settings(config_path=args.config)
        )
    except ConfigError as exc:
        print(f"movement-node: error: setting {exc}", file=sys.stderr)
        return EXIT_USAGE
    configure_logging(
        json=settings.log_format == "json", level=_log_level(settings, args)
    )
    try:
        result: int = args.func(settings, args)
    except CommandError as exc:
        print(f"movement-node: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return result
