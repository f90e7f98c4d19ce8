"""The queues: deliveries (pending, dead letters, retry) and failed inbox activities."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any

from node.cli.base import CommandError, run
from node.config import Settings
from node.storage.db import Pool


def cmd_deliveries(settings: Settings, args: argparse.Namespace) -> int:
    """List deliveries that gave up, or put them back in the queue."""
    from node.services import queues

    async def action(pool: Pool) -> int:
        if args.deliveries_command == "dead":
            for r in await queues.dead_deliveries(pool):
                print(
                    f"{r['id']}\t{r['inbox']}\t{r['attempts']}\t{r['died_at']:%Y-%m-%d %H:%M}\t{r['reason']}"
                )
            return 0
        if args.deliveries_command == "pending":
            count, oldest = await queues.pending_deliveries(pool)
            print(
                f"{count} pending"
                + (f", oldest since {oldest:%Y-%m-%d %H:%M:%S}" if oldest else "")
            )
            return 0
        if args.deliveries_command == "hosts":
            rows = await queues.troubled_hosts(pool)
            now = datetime.now(UTC)
            for r in rows:
                if r["open_until"] is None:
                    state = f"failing ({r['failures']} in a row)"
                elif r["open_until"] > now:
                    state = f"open until {r['open_until']:%Y-%m-%d %H:%M:%S} (opening {r['openings']})"
                else:
                    state = f"half-open: probing (after opening {r['openings']})"
                print(f"{r['host']}\t{state}\t{r['waiting']} waiting")
            if not rows:
                print("every host is healthy")
            return 0
        if args.host:
            if args.ids:
                msg = "give ids or --host, not both"
                raise CommandError(msg)
            try:
                count = await queues.force_retry_host(pool, args.host)
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
            print(f"{args.host}: breaker closed, {count} delivery(ies) due now")
            return 0
        moved = await queues.retry_dead_deliveries(pool, args.ids or None)
        print(f"{moved} delivery(ies) queued again")
        return 0

    return run(settings, action)


def cmd_inbox(settings: Settings, args: argparse.Namespace) -> int:
    """List received activities whose processing failed, or make them due again."""
    from node.services import queues
    from node.storage.inbox import MAX_ATTEMPTS

    async def action(pool: Pool) -> int:
        if args.inbox_command == "failed":
            for r in await queues.failed_activities(pool):
                when = (
                    "given up"
                    if r["attempts"] >= MAX_ATTEMPTS
                    else f"next try {r['retry_at']:%Y-%m-%d %H:%M:%S}"
                )
                print(
                    f"{r['id']}\t{r['type']}\t{r['actor']}\t{r['received_at']:%Y-%m-%d %H:%M}"
                    f"\t{r['attempts']} attempt(s), {when}\t{r['error']}"
                )
            return 0
        try:
            count = await queues.retry_failed_activities(pool, args.ids or None)
        except LookupError as exc:
            raise CommandError(str(exc)) from exc
        print(f"{count} activity(ies) to be processed again")
        return 0

    return run(settings, action)


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """`deliveries` and `inbox`."""
    deliveries = sub.add_parser(
        "deliveries",
        help="delivery queue: pending, dead, retry",
        description="Inspect the delivery queue and retry deliveries that gave up.",
    )
    dsub = deliveries.add_subparsers(
        dest="deliveries_command", metavar="ACTION", required=True
    )
    dsub.add_parser("pending", help="how many deliveries wait, and since when")
    dsub.add_parser("dead", help="list deliveries that gave up (newest first)")
    dsub.add_parser(
        "hosts", help="hosts whose circuit breaker is failing, open or half-open"
    )
    retry = dsub.add_parser(
        "retry",
        help="queue dead deliveries again (all, or the given ids), or with --host "
        "close a host's breaker and make everything for it due now",
    )
    retry.add_argument("ids", nargs="*", type=int)
    retry.add_argument(
        "--host",
        metavar="HOST",
        help="a remote host (a name covers its every port; name:port just that one)",
    )
    deliveries.set_defaults(func=cmd_deliveries)
    received = sub.add_parser(
        "inbox",
        help="received activities whose processing failed: failed, retry",
        description="List received activities whose processing failed (waiting for "
        "their next try, or given up) and make them due again.",
    )
    isub = received.add_subparsers(
        dest="inbox_command", metavar="ACTION", required=True
    )
    isub.add_parser("failed", help="list failed activities (newest first)")
    again = isub.add_parser(
        "retry", help="process failed activities again now (all, or the given ids)"
    )
    again.add_argument("ids", nargs="*", type=int)
    received.set_defaults(func=cmd_inbox)
