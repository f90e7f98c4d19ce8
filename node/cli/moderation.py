"""Moderation: whole hosts blocked, unblocked or allowed."""

from __future__ import annotations

import argparse
from typing import Any

from node.cli.base import CommandError, run
from node.config import Settings
from node.storage.db import Pool


def cmd_domain(settings: Settings, args: argparse.Namespace) -> int:
    from federation.domains import DomainError
    from node.services import moderation
    from node.storage import domains

    async def action(pool: Pool) -> int:
        try:
            return await _act(pool)
        except DomainError as exc:
            raise CommandError(str(exc)) from None

    async def _act(pool: Pool) -> int:
        if args.domain_command == "list":
            for host in await domains.blocked(pool):
                print(host)
        elif args.domain_command == "block":
            removed = await moderation.block(pool, args.host)
            print(f"blocked {args.host} ({removed} follower(s) removed)")
        elif args.domain_command == "unblock":
            if not await moderation.unblock(pool, args.host):
                msg = f"{args.host} was not blocked"
                raise CommandError(msg)
            print(f"unblocked {args.host}")
        else:
            await moderation.allow(pool, args.host)
            print(f"allowed {args.host}")
        return 0

    return run(settings, action)


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """`domain`."""
    d = sub.add_parser(
        "domain",
        help="moderation: block, unblock, list, allow hosts",
        description="Refuse or allow whole hosts.",
    )
    dsub = d.add_subparsers(dest="domain_command", metavar="ACTION", required=True)
    for verb, blurb in (
        ("block", "refuse HOST's activities, drop its followers and deliveries"),
        ("unblock", "lift a block"),
        ("allow", "add HOST to the allow-list (federation_mode = allowlist)"),
    ):
        dsub.add_parser(verb, help=blurb).add_argument("host")
    dsub.add_parser("list", help="list blocked hosts")
    d.set_defaults(func=cmd_domain)
