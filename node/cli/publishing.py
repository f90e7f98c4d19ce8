"""CLI: authoring tokens, and publishing movement objects (validated by the same schemas)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from node.cli.base import CommandError, resolve, run
from node.config import Settings
from node.storage.db import Pool

PUBLISH_KINDS = {
    "vision": "vision",
    "call": "call",
    "offer": "offer",
    "proposal": "proposal",
}


async def group_named(pool: Pool, name: str) -> Any:
    """The local group (or other authoring actor) of that name."""
    from node.services.movement import AUTHOR_KINDS
    from node.storage import actors as store

    actor = await store.local_by_name(pool, name)
    if actor is None or actor.kind not in AUTHOR_KINDS:
        msg = f"no local group {name!r}"
        raise CommandError(msg)
    return actor


def cmd_token(settings: Settings, args: argparse.Namespace) -> int:
    from node.services import access
    from node.storage import tokens

    async def action(pool: Pool) -> int:
        if args.tokens_do == "create":
            actor = await group_named(pool, args.actor)
            token_id, token = await access.create_token(
                pool, actor=actor, label=args.label
            )
            print(f"token {token_id} for {actor.name} ({args.label}); shown only now:")
            print(token)
            return 0
        if args.tokens_do == "revoke":
            if not await access.revoke_token(pool, args.id):
                msg = f"no live token {args.id}"
                raise CommandError(msg)
            print(f"token {args.id} revoked")
            return 0
        for row in await tokens.listing(pool):
            state = "revoked" if row["revoked_at"] else "live"
            print(f"{row['id']}\t{row['name']}\t{row['label']}\t{state}")
        return 0

    return run(settings, action)


def _input(args: argparse.Namespace) -> Any:
    if args.file is None:
        msg = "give the object as JSON with --file FILE (or --file - for stdin)"
        raise CommandError(msg)
    text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text("utf-8")
    try:
        return json.loads(text)
    except ValueError as exc:
        msg = f"{args.file}: not JSON: {exc}"
        raise CommandError(msg) from None


def cmd_publish(settings: Settings, args: argparse.Namespace) -> int:
    from node.clock import utcnow
    from node.services import movement

    data = _input(args)

    async def action(pool: Pool) -> int:
        actor = await group_named(pool, args.as_)
        try:
            obj = await movement.create_object(
                pool,
                base_url=settings.url,
                actor=actor,
                kind=PUBLISH_KINDS[args.kind],
                data=data,
                now=utcnow(),
            )
        except movement.InvalidInputError as exc:
            for error in exc.errors:
                print(f"{error.field or '(object)'}: {error.message}", file=sys.stderr)
            msg = f"invalid {args.kind}: nothing published"
            raise CommandError(msg) from None
        print(obj["id"])
        return 0

    return run(settings, action)


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """`token`, `publish` and `post`."""
    post = sub.add_parser(
        "post",
        help="publish a public note as a local actor",
        description="Publish a public Note and deliver it to the actor's followers.",
    )
    post.add_argument("name", help="local actor name")
    post.add_argument("text", help="plain text; blank lines separate paragraphs")
    post.set_defaults(func=cmd_post)

    token = sub.add_parser("token", help="authoring API tokens")
    tsub = token.add_subparsers(dest="tokens_do", required=True)
    create = tsub.add_parser("create", help="a new token for a group (printed once)")
    create.add_argument(
        "--actor", required=True, help="the group the token publishes as"
    )
    create.add_argument("--label", required=True, help="who or what uses it")
    revoke = tsub.add_parser("revoke", help="revoke a token by its id")
    revoke.add_argument("id", type=int)
    tsub.add_parser("list", help="tokens (never their secrets)")
    token.set_defaults(func=cmd_token)

    publish = sub.add_parser("publish", help="publish a movement object as a group")
    publish.add_argument("kind", choices=sorted(PUBLISH_KINDS))
    publish.add_argument("--as", dest="as_", required=True, metavar="GROUP")
    publish.add_argument(
        "--file", help="the object as JSON (schemas/*.schema.json); - for stdin"
    )
    publish.set_defaults(func=cmd_publish)


def cmd_post(settings: Settings, args: argparse.Namespace) -> int:
    """Publish a public Note as a local actor and queue its delivery to followers."""
    from node.services.publish import find_mentions, post_note

    async def action(pool: Pool) -> int:
        mentions = [
            (handle, await resolve(settings, pool, handle))
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
            raise CommandError(str(exc)) from None
        print(create["object"]["id"])
        return 0

    return run(settings, action)
