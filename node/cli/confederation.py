"""CLI commands for confederations: found, join, vote, propose removal or the adoption of
a shared vision, leave, sync, show."""

from __future__ import annotations

import argparse
import json
import tomllib
from typing import Any

from node.cli.base import CommandError, remote_actors, run
from node.config import Settings
from node.domain.actors import LocalActor
from node.storage.db import Pool


async def _conf_named(conn: Any, name: str) -> Any:
    from node.storage import confederations as cstore

    conf = await cstore.by_name(conn, name)
    if conf is None:
        msg = f"no confederation {name!r} on this node"
        raise CommandError(msg)
    return conf


def cmd_found(settings: Settings, args: argparse.Namespace) -> int:
    from node.clock import utcnow
    from node.confederation.governance import (
        ConfederationError,
        describe,
        found,
        member_identity,
    )

    try:
        with open(args.charter, "rb") as fh:
            fields = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        msg = f"cannot read the charter {args.charter}: {exc}"
        raise CommandError(msg) from None
    fields["name"] = args.name

    async def action(pool: Pool) -> int:
        try:
            async with (
                remote_actors(settings, pool) as remote,
                pool.acquire() as conn,
                conn.transaction(),
            ):
                member = await member_identity(conn, args.as_actor, settings.node_name)
                conf, _replica = await found(
                    conn,
                    base_url=settings.url,
                    remote=remote,
                    fields=fields,
                    member=member,
                    now=utcnow(),
                )
                shown = await describe(conn, settings.url, conf)
        except ConfederationError as exc:
            raise CommandError(str(exc)) from None
        print(json.dumps(shown, indent=2))
        return 0

    return run(settings, action)


def cmd_join(settings: Settings, args: argparse.Namespace) -> int:
    from federation.errors import FederationError
    from node.clock import utcnow
    from node.confederation.governance import ConfederationError, member_identity
    from node.confederation.joining import ask_to_join, fetch_history

    async def action(pool: Pool) -> int:
        async with remote_actors(settings, pool) as remote:
            try:
                replica = (
                    await remote.fetch_actor(args.replica)
                    if args.replica.startswith(("http://", "https://"))
                    else await remote.resolve_handle(args.replica)
                )
                if not isinstance(replica.get("decisions"), str):
                    msg = f"{args.replica} is not a confederation replica"
                    raise CommandError(msg)
                history = await fetch_history(remote, replica["decisions"])
                async with pool.acquire() as conn, conn.transaction():
                    member = await member_identity(
                        conn, args.as_actor, settings.node_name
                    )
                    conf = await ask_to_join(
                        conn,
                        base_url=settings.url,
                        remote=remote,
                        replica_doc=replica,
                        history=history,
                        member=member,
                        now=utcnow(),
                    )
            except (FederationError, ValueError, ConfederationError) as exc:
                msg = f"cannot join {args.replica}: {exc}"
                raise CommandError(msg) from None
        print(f"asked to join {conf.id} through {replica['id']}")
        return 0

    return run(settings, action)


async def _no_second_operator_needed(pool: Pool, kind: str) -> None:
    """The shell does not do what the node wants two operators for."""
    from node.services.operator import CHOICES, action_of
    from node.storage import actors as store, audit as audit_store

    if kind not in CHOICES:
        return
    for node in await store.local_by_kind(pool, "node"):
        if action_of(kind) in await audit_store.rules(pool, node.id):
            msg = (
                "this node wants a second operator for this: do it through the API "
                "(POST /api/v1/confederations/NAME/vote or /leave, an operator's token) "
                "and another operator approves it on /admin/pending"
            )
            raise CommandError(msg)


async def _group_named(pool: Pool, name: str | None) -> LocalActor | None:
    from node.storage import actors as store

    if name is None:
        return None
    group = await store.local_by_name(pool, name)
    if group is None or group.kind != "group":
        msg = f"no group {name!r} on this node"
        raise CommandError(msg)
    return group


def _record_command(action_of: Any) -> Any:
    """vote / remove / adopt / leave: this node writes, signs and sends one record."""

    def command(settings: Settings, args: argparse.Namespace) -> int:
        from node.clock import utcnow
        from node.confederation import adoption, authoring
        from node.confederation.governance import ConfederationError, describe

        async def action(pool: Pool) -> int:
            kind, target = action_of(args)
            group = await _group_named(pool, getattr(args, "group", None))
            if group is None:  # a group's vote is its own, not the node's
                await _no_second_operator_needed(pool, kind)
            async with remote_actors(settings, pool) as remote:
                try:
                    async with pool.acquire() as conn, conn.transaction():
                        conf = await _conf_named(conn, args.name)
                        if group is not None:
                            state = await authoring.group_vote(
                                conn,
                                base_url=settings.url,
                                remote=remote,
                                conf=conf,
                                group=group,
                                proposal=str(target),
                                yes=kind == "yes",
                                now=utcnow(),
                            )
                        elif kind == "adopt":
                            state = await adoption.propose(
                                conn,
                                base_url=settings.url,
                                remote=remote,
                                conf=conf,
                                version=str(target),
                                now=utcnow(),
                            )
                        else:
                            state = await authoring.author_record(
                                conn,
                                base_url=settings.url,
                                remote=remote,
                                conf=conf,
                                action=kind,
                                target=target,
                                now=utcnow(),
                            )
                        shown = await describe(conn, settings.url, conf, state)
                except ConfederationError as exc:
                    raise CommandError(str(exc)) from None
            print(json.dumps(shown, indent=2))
            return 0

        return run(settings, action)

    return command


def cmd_show(settings: Settings, args: argparse.Namespace) -> int:
    from node.confederation.governance import describe
    from node.storage import confederations as cstore

    async def action(pool: Pool) -> int:
        confs = (
            [await _conf_named(pool, args.name)]
            if args.name
            else await cstore.all_(pool)
        )
        shown = [await describe(pool, settings.url, conf) for conf in confs]
        print(json.dumps(shown[0] if args.name else shown, indent=2))
        return 0

    return run(settings, action)


def cmd_sync(settings: Settings, args: argparse.Namespace) -> int:
    from node.clock import utcnow
    from node.confederation.governance import ConfederationError
    from node.confederation.joining import sources, sync_from_any

    async def action(pool: Pool) -> int:
        conf = await _conf_named(pool, args.name)
        candidates = [args.source] if args.source else await sources(pool, conf)
        if not candidates:
            msg = "no replica known to catch up from; give one with --from"
            raise CommandError(msg)
        async with (
            remote_actors(settings, pool) as remote,
            pool.acquire() as conn,
            conn.transaction(),
        ):
            try:
                await sync_from_any(
                    conn,
                    base_url=settings.url,
                    remote=remote,
                    conf=conf,
                    candidates=candidates,
                    now=utcnow(),
                    report=print,
                )
            except ConfederationError as exc:
                raise CommandError(str(exc)) from None
        return 0

    return run(settings, action)


def register(sub: argparse._SubParsersAction[Any]) -> None:
    conf = sub.add_parser(
        "confederation",
        help="found, join and govern confederations of nodes",
        description="Confederations aggregate their member nodes' feeds with no central owner.",
    )
    csub = conf.add_subparsers(
        dest="confederation_command", metavar="ACTION", required=True
    )
    found = csub.add_parser("found", help="found a confederation from a charter (TOML)")
    found.add_argument("name", help="the handle of its replicas (e.g. cascadia)")
    found.add_argument("--charter", required=True, help="charter.toml")
    found.add_argument(
        "--as", dest="as_actor", help="member as this actor (default: the node)"
    )
    found.set_defaults(func=cmd_found)
    join = csub.add_parser("join", help="ask a confederation to admit this node")
    join.add_argument("replica", help="any replica: name@host or its URL")
    join.add_argument(
        "--as",
        dest="as_actor",
        help="join as this local replica (nesting confederations)",
    )
    join.set_defaults(func=cmd_join)
    show = csub.add_parser(
        "show", help="members and proposals (all confederations without NAME)"
    )
    show.add_argument("name", nargs="?")
    show.set_defaults(func=cmd_show)
    vote = csub.add_parser("vote", help="vote on a proposal as this node")
    vote.add_argument("name")
    vote.add_argument(
        "proposal",
        help="the proposal: its short_id from `show` (or a unique prefix of it, or its full id)",
    )
    vote.add_argument("choice", choices=["yes", "no"])
    vote.add_argument(
        "--group",
        metavar="GROUP",
        help="vote as this group of the node (a charter whose groups vote on adoptions)",
    )
    vote.set_defaults(func=_record_command(lambda a: (a.choice, a.proposal)))
    remove = csub.add_parser("remove", help="propose removing a member (members vote)")
    remove.add_argument("name")
    remove.add_argument("member", help="the member's actor URL")
    remove.set_defaults(func=_record_command(lambda a: ("remove", a.member)))
    adopt = csub.add_parser(
        "adopt", help="propose a vision version as the shared vision (members vote)"
    )
    adopt.add_argument("name")
    adopt.add_argument(
        "version", help="the version's IRI, VISION/versions/N (its page links it)"
    )
    adopt.set_defaults(func=_record_command(lambda a: ("adopt", a.version)))
    leave = csub.add_parser("leave", help="leave the confederation")
    leave.add_argument("name")
    leave.set_defaults(func=_record_command(lambda a: ("leave", None)))
    sync = csub.add_parser("sync", help="catch up on missed decisions from a replica")
    sync.add_argument("name")
    sync.add_argument(
        "--from", dest="source", help="a replica's actor URL (default: any known)"
    )
    sync.set_defaults(func=cmd_sync)
