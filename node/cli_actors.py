"""CLI commands that administer local actors and look up remote ones."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any

import asyncpg

from node.config import Settings
from node.names import InvalidNameError
from node.storage import actors as store

if TYPE_CHECKING:
    from node.services.remote import RemoteActors


class CliError(Exception):
    """Shown to the operator as one line; exit code 1."""


def _run(
    settings: Settings, action: Callable[[asyncpg.Pool[Any]], Awaitable[int]]
) -> int:
    from node.app import open_node_database

    async def main() -> int:
        async with open_node_database(settings, max_size=2) as (_dsn, pool):
            return await action(pool)

    return asyncio.run(main())


def _create(kind: str) -> Callable[[Settings, argparse.Namespace], int]:
    def command(settings: Settings, args: argparse.Namespace) -> int:
        from node.services.actors import ActorExistsError, create_actor

        async def action(pool: asyncpg.Pool[Any]) -> int:
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
                raise CliError(str(exc)) from None
            host = settings.url.split("://", 1)[1]
            print(
                f"created {kind} @{actor.name}@{host}  {settings.url}/actors/{actor.name}"
            )
            return 0

        return _run(settings, action)

    return command


def _list(kind: str) -> Callable[[Settings, argparse.Namespace], int]:
    def command(settings: Settings, args: argparse.Namespace) -> int:
        async def action(pool: asyncpg.Pool[Any]) -> int:
            for actor in await store.local_by_kind(pool, kind):
                print(
                    f"{actor.name}\t{actor.display_name}\t{settings.url}/actors/{actor.name}"
                )
            return 0

        return _run(settings, action)

    return command


def cmd_lookup(settings: Settings, args: argparse.Namespace) -> int:
    """Resolve a remote handle or actor URL through WebFinger and a signed fetch."""

    async def action(pool: asyncpg.Pool[Any]) -> int:
        try:
            actor = await _resolve(settings, pool, args.handle)
        except CliError as exc:
            msg = f"lookup failed: {exc}"
            raise CliError(msg) from None
        print(json.dumps(actor, indent=2, sort_keys=True))
        return 0

    return _run(settings, action)


def add_actor_commands(sub: argparse._SubParsersAction[Any]) -> None:
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
        create.add_argument("name", help="handle: 1-64 of a-z 0-9 _ -")
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


@contextlib.asynccontextmanager
async def remote_actors(
    settings: Settings, pool: asyncpg.Pool[Any]
) -> AsyncIterator[RemoteActors]:
    """The remote actor cache with a fetcher signing as the instance actor (for CLI commands)."""
    from federation.fetch.client import Fetcher, create_session
    from node.clock import utcnow
    from node.domain.actors import INSTANCE_NAME
    from node.services.actors import signing_key
    from node.services.remote import RemoteActors

    key = await signing_key(pool, settings.url, INSTANCE_NAME)
    private = settings.allow_private_network
    async with create_session(allow_private=private) as session:
        fetcher = Fetcher(session, lambda: key, allow_private=private, clock=utcnow)
        yield RemoteActors(
            pool, fetcher, base_url=settings.url, allow_private=private, clock=utcnow
        )


async def _resolve(
    settings: Settings, pool: asyncpg.Pool[Any], handle: str
) -> dict[str, Any]:
    """WebFinger + signed fetch of a remote handle (as the instance actor)."""
    from federation.errors import FederationError

    async with remote_actors(settings, pool) as remote:
        try:
            if handle.startswith(("http://", "https://")):
                return await remote.fetch_actor(handle)
            return await remote.resolve_handle(handle)
        except (FederationError, ValueError) as exc:
            msg = f"cannot resolve {handle}: {exc}"
            raise CliError(msg) from None


def cmd_post(settings: Settings, args: argparse.Namespace) -> int:
    """Publish a public Note as a local actor and queue its delivery to followers."""
    from node.services.publish import find_mentions, post_note

    async def action(pool: asyncpg.Pool[Any]) -> int:
        mentions = [
            (handle, await _resolve(settings, pool, handle))
            for handle in find_mentions(args.text)
        ]
        try:
            create = await post_note(
                pool,
                base_url=settings.url,
                actor_name=args.name,
                text=args.text,
                mentions=mentions,
            )
        except (LookupError, ValueError) as exc:
            raise CliError(str(exc)) from None
        print(create["object"]["id"])
        return 0

    return _run(settings, action)


def cmd_follows(settings: Settings, args: argparse.Namespace) -> int:
    """List pending follows of a local actor, or approve/reject one."""
    from node.services.follow import decide_pending
    from node.storage import follows

    async def action(pool: asyncpg.Pool[Any]) -> int:
        actor = await store.local_by_name(pool, args.name)
        if actor is None:
            msg = f"no local actor {args.name!r}"
            raise CliError(msg)
        if args.follows_command == "pending":
            for follower in await follows.pending_followers(pool, actor.id):
                print(follower)
            return 0
        doc = await store.remote_actor(pool, args.follower)
        if doc is None:
            msg = f"unknown follower {args.follower}"
            raise CliError(msg)
        async with pool.acquire() as conn, conn.transaction():
            done = await decide_pending(
                conn,
                base_url=settings.url,
                target=actor,
                follower=args.follower,
                approve=args.follows_command == "approve",
                actor_doc=doc,
            )
        if not done:
            msg = f"{args.follower} has no pending follow of {args.name}"
            raise CliError(msg)
        print(f"{args.follows_command}d {args.follower}")
        return 0

    return _run(settings, action)


def cmd_domain(settings: Settings, args: argparse.Namespace) -> int:
    from node.storage import domains

    async def action(pool: asyncpg.Pool[Any]) -> int:
        if args.domain_command == "list":
            for host in await domains.blocked(pool):
                print(host)
        elif args.domain_command == "block":
            removed = await domains.block(pool, args.host.lower())
            print(f"blocked {args.host} ({removed} follower(s) removed)")
        elif args.domain_command == "unblock":
            if not await domains.unblock(pool, args.host.lower()):
                msg = f"{args.host} was not blocked"
                raise CliError(msg)
            print(f"unblocked {args.host}")
        else:
            await domains.allow(pool, args.host.lower())
            print(f"allowed {args.host}")
        return 0

    return _run(settings, action)


def add_federation_commands(sub: argparse._SubParsersAction[Any]) -> None:
    """Register `post`, `follows` and `domain` sub-commands."""
    post = sub.add_parser(
        "post",
        help="publish a public note as a local actor",
        description="Publish a public Note and deliver it to the actor's followers.",
    )
    post.add_argument("name", help="local actor name")
    post.add_argument("text", help="plain text; blank lines separate paragraphs")
    post.set_defaults(func=cmd_post)

    f = sub.add_parser(
        "follows",
        help="pending follows: list, approve, reject",
        description="Handle follows of actors that approve followers manually.",
    )
    fsub = f.add_subparsers(dest="follows_command", metavar="ACTION", required=True)
    pending = fsub.add_parser("pending", help="list pending followers of NAME")
    pending.add_argument("name")
    for verb in ("approve", "reject"):
        p = fsub.add_parser(
            verb,
            help=f"{verb} FOLLOWER's follow of NAME (sends {'Accept' if verb == 'approve' else 'Reject'})",
        )
        p.add_argument("name")
        p.add_argument("follower", help="the follower's actor URL")
    f.set_defaults(func=cmd_follows)

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
