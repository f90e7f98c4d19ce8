"""Following: a local actor follows a remote one; pending follows approved or rejected."""

from __future__ import annotations

import argparse
from typing import Any

from node.cli.base import CommandError, resolve, run
from node.config import Settings
from node.storage import actors as store
from node.storage.db import Pool


def cmd_follows(settings: Settings, args: argparse.Namespace) -> int:
    """List pending follows of a local actor, or approve/reject one."""
    from node.services.follow import decide_pending
    from node.storage import follows

    async def action(pool: Pool) -> int:
        actor = await store.local_by_name(pool, args.name)
        if actor is None:
            msg = f"no local actor {args.name!r}"
            raise CommandError(msg)
        if args.follows_command == "pending":
            for follower in await follows.pending_followers(pool, actor.id):
                print(follower)
            return 0
        doc = await store.remote_actor(pool, args.follower)
        if doc is None:
            msg = f"unknown follower {args.follower}"
            raise CommandError(msg)
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
            raise CommandError(msg)
        print(f"{args.follows_command}d {args.follower}")
        return 0

    return run(settings, action)


def cmd_follow(settings: Settings, args: argparse.Namespace) -> int:
    """A local actor follows a remote actor: resolve it, store the follow, queue a signed Follow."""
    from federation.delivery.plan import recipient_of
    from node.services.follow import follow_out
    from node.storage import actors as store

    async def action(pool: Pool) -> int:
        local = await store.local_by_name(pool, args.local)
        if local is None or local.kind == "instance":
            msg = f"no local actor {args.local!r}"
            raise CommandError(msg)
        target = await resolve(settings, pool, args.remote)
        async with pool.acquire() as conn, conn.transaction():
            await follow_out(
                conn,
                base_url=settings.url,
                local=local,
                target=target["id"],
                recipient=recipient_of(target),
            )
        print(f"{args.local} follows {target['id']} (pending until they accept)")
        return 0

    return run(settings, action)


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """`follow` and `follows`."""
    follow = sub.add_parser(
        "follow",
        help="make a local actor follow a remote one",
        description="Follow a remote actor (user@host or URL) as a local actor; tracked until it accepts or rejects.",
    )
    follow.add_argument("local", help="local actor name")
    follow.add_argument("remote", help="user@host, acct:user@host, or an actor URL")
    follow.set_defaults(func=cmd_follow)
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
