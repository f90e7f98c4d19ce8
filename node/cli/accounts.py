"""CLI: the accounts of the people who run groups and the node, and the audit trail."""

from __future__ import annotations

import argparse
import json
from typing import Any

from node.cli.base import CommandError, run
from node.cli.publishing import group_named
from node.config import Settings
from node.domain.access import INVITATION_DAYS, Role
from node.storage.db import Pool


def cmd_account(settings: Settings, args: argparse.Namespace) -> int:
    from node.clock import utcnow
    from node.services import accounts
    from node.storage import accounts as store

    async def action(pool: Pool) -> int:
        now = utcnow()
        try:
            if args.account_do in ("create", "invite"):
                if (args.group is None) != (args.role is None):
                    msg = "give --group and --role together"
                    raise CommandError(msg)
                group = (
                    None if args.group is None else await group_named(pool, args.group)
                )
                link = await accounts.invite(
                    pool,
                    base_url=settings.url,
                    now=now,
                    days=args.days,
                    name=getattr(args, "name", None),
                    local_actor_id=None if group is None else group.id,
                    role=None if args.role is None else Role(args.role),
                    operator=args.operator,
                )
                who = getattr(args, "name", None) or "the person you invite"
                print(
                    f"a one-time link for {who} to set up sign-in ({args.days} days):"
                )
                print(link)
                return 0
            if args.account_do == "disable":
                await accounts.disable(pool, args.name, now)
                print(f"account {args.name} disabled: its sessions and tokens ended")
                return 0
        except accounts.AccessError as exc:
            raise CommandError(str(exc)) from None
        for row in await store.listing(pool):
            ways = ", ".join(
                w
                for w, on in (
                    ("passkey", row["passkeys"] > 0),
                    ("password+TOTP", row["has_password"]),
                )
                if on
            )
            state = "disabled" if row["disabled_at"] else "active"
            operator = " operator" if row["operator"] else ""
            print(f"{row['name']}\t{state}{operator}\t{ways or '-'}\t{row['roles']}")
        for row in await store.open_invitations(pool, now):
            role = f"{row['group_name']}:{row['role']}" if row["group_name"] else ""
            operator = " operator" if row["operator"] else ""
            until = row["expires_at"].strftime("%Y-%m-%d")
            print(
                f"{row['name'] or '(their choice)'}\tinvited until {until}{operator}"
                f"\t-\t{role}"
            )
        return 0

    return run(settings, action)


def cmd_audit(settings: Settings, args: argparse.Namespace) -> int:
    from node.services import audit
    from node.storage import accounts as store

    async def action(pool: Pool) -> int:
        query: dict[str, Any] = {"limit": args.limit}
        if args.group:
            query["local_actor_id"] = (await group_named(pool, args.group)).id
        if args.account:
            account = await store.by_name(pool, args.account)
            if account is None:
                msg = f"no account {args.account!r}"
                raise CommandError(msg)
            query["account_id"] = account["id"]
        for line in reversed(await audit.trail(pool, **query)):
            if args.json:
                print(json.dumps(line, sort_keys=True))
                continue
            who = line["account"] or (
                "shell" if line["via"] == "cli" else f"group-token#{line['token']}"
            )
            print(
                f"{line['at'][:19]}\t{who}\t{line['group'] or '-'}\t{line['action']}"
                f"\t{line['target'] or ''}"
            )
        return 0

    return run(settings, action)


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """`account` and `audit`."""
    account = sub.add_parser(
        "account",
        help="accounts of the people who run groups: create, invite, list, disable",
        description="Accounts are for organisers and the operator; they are never "
        "federated. A new account gets a one-time link to set up its sign-in.",
    )
    asub = account.add_subparsers(dest="account_do", required=True)
    for name, text in (
        ("create", "an account with this name, and its set-up link"),
        ("invite", "a one-time link; the person chooses their name"),
    ):
        command = asub.add_parser(name, help=text)
        if name == "create":
            command.add_argument("name")
        command.add_argument("--group", help="a group they get a role in")
        command.add_argument("--role", choices=[str(r) for r in Role])
        command.add_argument(
            "--operator", action="store_true", help="the node's operator role"
        )
        command.add_argument(
            "--days", type=int, default=INVITATION_DAYS, help="the link lasts"
        )
    disable = asub.add_parser(
        "disable", help="disable an account: its sessions and tokens end at once"
    )
    disable.add_argument("name")
    asub.add_parser("list", help="every account, its sign-in methods and roles")
    account.set_defaults(func=cmd_account)

    audit = sub.add_parser(
        "audit",
        help="print the audit trail (oldest first)",
        description="Who did what and when: every action that changed or sent "
        "something. Append-only.",
    )
    audit.add_argument("--group", help="only this group's lines")
    audit.add_argument("--account", help="only this account's lines")
    audit.add_argument("--limit", type=int, default=200)
    audit.add_argument("--json", action="store_true", help="one JSON object a line")
    audit.set_defaults(func=cmd_audit)
