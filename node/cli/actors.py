"""CLI commands that administer local actors and look up remote ones."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

from node.cli.base import CommandError, remote_actors, resolve, run
from node.config import Settings
from node.names import InvalidNameError
from node.storage import actors as store
from node.storage.db import Pool


def _create(kind: str) -> Callable[[Settings, argparse.Namespace], int]:
    def command(settings: Settings, args: argparse.Namespace) -> int:
        from node.services.actors import ActorExistsError, create_actor

        async def action(pool: Pool) -> int:
            try:
                actor = await create_actor(
                    pool,
                    kind=kind,
                    name=args.name,
                    display_name=args.display_name or "",
                    summary=args.summary or "",
                    manually_approves_followers=getattr(
                        args, "manually_approves_followers", False
                    ),
                )
            except (InvalidNameError, ActorExistsError) as exc:
                raise CommandError(str(exc)) from None
            if kind == "group":  # where groups vote, the confederation learns of it
                from node.confederation.governance import groups_changed

                async with (
                    remote_actors(settings, pool) as remote,
                    pool.acquire() as conn,
                    conn.transaction(),
                ):
                    await groups_changed(conn, settings.url, remote)
            host = settings.url.split("://", 1)[1]
            print(
                f"created {kind} @{actor.name}@{host}  {settings.url}/actors/{actor.name}"
            )
            return 0

        return run(settings, action)

    return command


def _list(kind: str) -> Callable[[Settings, argparse.Namespace], int]:
    def command(settings: Settings, args: argparse.Namespace) -> int:
        async def action(pool: Pool) -> int:
            for actor in await store.local_by_kind(pool, kind):
                print(
                    f"{actor.name}\t{actor.display_name}\t{settings.url}/actors/{actor.name}"
                )
            return 0

        return run(settings, action)

    return command


def cmd_lookup(settings: Settings, args: argparse.Namespace) -> int:
    """Resolve a remote handle or actor URL through WebFinger and a signed fetch."""

    async def action(pool: Pool) -> int:
        try:
            actor = await resolve(settings, pool, args.handle)
        except CommandError as exc:
            msg = f"lookup failed: {exc}"
            raise CommandError(msg) from None
        print(json.dumps(actor, indent=2, sort_keys=True))
        return 0

    return run(settings, action)


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """Register `group`, `cluster` and `actor` sub-commands."""
    for kind, blurb in (
        ("group", "movement groups"),
        ("cluster", "issue clusters (housing, transport…)"),
    ):
        parser = sub.add_parser(
            kind,
            help=f"{blurb}: create, list",
            description=f"Manage {blurb} on this node.",
        )
        actions = parser.add_subparsers(
            dest=f"{kind}_command", metavar="ACTION", required=True
        )
        create = actions.add_parser(
            "create", help=f"create a {kind} actor with its own key pair"
        )
        create.add_argument(
            "name",
            help="handle: 1-64 of a-z 0-9 _ -"
            if kind == "group"
            else "handle and hashtag: 1-64 of a-z 0-9 _ (no '-')",
        )
        create.add_argument("--display-name", help="name shown to people")
        create.add_argument("--summary", help="a sentence or two about it")
        if kind == "group":
            create.add_argument(
                "--manually-approves-followers",
                action="store_true",
                help="follows wait for approval",
            )
        create.set_defaults(func=_create(kind))
        actions.add_parser("list", help=f"list {kind}s").set_defaults(func=_list(kind))
    actor = sub.add_parser(
        "actor", help="remote actors: lookup", description="Look up remote actors."
    )
    actor_actions = actor.add_subparsers(
        dest="actor_command", metavar="ACTION", required=True
    )
    lookup = actor_actions.add_parser(
        "lookup", help="resolve user@host (WebFinger) or an actor URL; print the actor"
    )
    lookup.add_argument("handle", help="user@host, acct:user@host, or an actor URL")
    lookup.set_defaults(func=cmd_lookup)
