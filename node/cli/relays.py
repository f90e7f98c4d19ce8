"""Relays: the instance actor subscribes to relays (`relay add|remove|list`)."""

from __future__ import annotations

import argparse
import contextlib
from typing import Any
from urllib.parse import urlsplit

from node.cli.base import CommandError, remote_actors, run
from node.config import Settings
from node.storage.db import Pool


def _relay_url(settings: Settings, url: str) -> str:
    parts = urlsplit(url)
    schemes = ("https", "http") if settings.allow_private_network else ("https",)
    if parts.scheme not in schemes or not parts.hostname:
        msg = f"a relay is an {' or '.join(schemes)} URL (its actor or its inbox): {url!r}"
        raise CommandError(msg)
    return url


def cmd_relay(settings: Settings, args: argparse.Namespace) -> int:
    from federation.errors import FederationError
    from node.domain.actors import INSTANCE_NAME
    from node.services import relays
    from node.storage import actors as store

    async def action(pool: Pool) -> int:
        if args.relay_command == "list":
            for r in await relays.subscriptions(pool):
                style = "litepub" if r.litepub else "mastodon"
                print(f"{r.url}\t{r.state}\t{style}\t{r.actor or '-'}")
            return 0
        url = _relay_url(settings, args.url)
        instance = await store.local_by_name(pool, INSTANCE_NAME)
        if instance is None:
            msg = "the node has no instance actor yet (start it once with `serve`)"
            raise CommandError(msg)
        if args.relay_command == "remove":
            async with pool.acquire() as conn, conn.transaction():
                try:
                    await relays.unsubscribe(
                        conn, base_url=settings.url, instance=instance, url=url
                    )
                except relays.RelayError as exc:
                    raise CommandError(str(exc)) from None
            print(f"unsubscribed from {url} (an Undo is queued)")
            return 0
        document = None
        async with remote_actors(settings, pool) as remote:
            # what does not answer as an actor is an inbox (Mastodon-style)
            with contextlib.suppress(FederationError):
                document = (await remote.fetch_object(url)).document
        async with pool.acquire() as conn, conn.transaction():
            try:
                sub = await relays.subscribe(
                    conn,
                    base_url=settings.url,
                    instance=instance,
                    url=url,
                    document=document,
                )
            except relays.RelayError as exc:
                raise CommandError(str(exc)) from None
        style = (
            "LitePub: following its actor"
            if sub.actor
            else "Mastodon-style: following at its inbox"
        )
        print(f"subscribing to {url} ({style}); pending until the relay accepts")
        return 0

    return run(settings, action)


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """`relay add|remove|list`."""
    r = sub.add_parser(
        "relay",
        help="subscribe the node to relays: add, remove, list",
        description="Relays pass public posts between the servers that subscribe to them. "
        "Give a LitePub relay's actor URL (e.g. https://relay.example/actor) or a "
        "Mastodon-style relay's inbox URL (https://relay.example/inbox). The node's public "
        "movement objects go to every relay that accepted it; what relays bring is read "
        "again from its origin and kept when it is a public movement object.",
    )
    rsub = r.add_subparsers(dest="relay_command", metavar="ACTION", required=True)
    add = rsub.add_parser("add", help="subscribe to the relay at URL")
    add.add_argument("url")
    remove = rsub.add_parser("remove", help="unsubscribe from the relay at URL")
    remove.add_argument("url", help="the URL it was added with")
    rsub.add_parser("list", help="the relays: URL, state, kind, relay actor")
    r.set_defaults(func=cmd_relay)
