"""What the node's operators do as the node, through their accounts: its votes in its
confederations and leaving one. The operators are the admins of the node actor, so a
node can want a second operator for these (the two-person rule, as a group does)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from node.confederation.authoring import author_record
from node.confederation.governance import ConfederationError, describe
from node.domain.access import Acting, Need
from node.services import people
from node.services.accounts import AccessError
from node.storage import confederations as cstore
from node.storage.db import Pool

CHOICES = ("yes", "no", "leave")


def action_of(kind: str) -> str:
    """The two-person rule's name for a record of this kind."""
    return "leave_confederation" if kind == "leave" else "confederation_vote"


async def record_as_node(
    pool: Pool,
    *,
    base_url: str,
    remote: Any,
    name: str,
    kind: str,
    target: str | None,
    now: datetime,
) -> dict[str, Any]:
    """Write, sign and send the node's record (a vote on `target`, or leaving): the
    confederation as it stands after it."""
    async with pool.acquire() as conn, conn.transaction():
        conf = await cstore.by_name(conn, name)
        if conf is None:
            raise AccessError(
                message=f"no confederation {name!r} on this node",
                code="unknown_confederation",
                status=404,
            )
        try:
            state = await author_record(
                conn,
                base_url=base_url,
                remote=remote,
                conf=conf,
                action=kind,
                target=target,
                now=now,
            )
        except ConfederationError as exc:
            raise AccessError(
                message=str(exc), code="confederation_refused", status=422
            ) from None
        return await describe(conn, base_url, conf, state)


async def as_node(
    pool: Pool,
    acting: Acting,
    *,
    remote: Any,
    name: str,
    kind: str,
    target: str | None,
    base_url: str,
    now: datetime,
) -> tuple[int | None, dict[str, Any] | None]:
    """An operator's record as the node: (None, the confederation) when done, or (the
    pending id, None) when the node wants a second operator for it."""
    node = people.need(acting, Need.ADMIN)
    if node.kind != "node":
        raise AccessError(
            message="this is the node operators' (act for the node)",
            code="operator_required",
        )
    if kind not in CHOICES:
        raise AccessError(message="choice: yes or no", code="invalid_input", status=422)
    summary = (
        f"leave {name}" if kind == "leave" else f"vote {kind} on {target} in {name}"
    )
    payload = {"confederation": name, "kind": kind, "target": target}
    held = await people.hold(pool, acting, action_of(kind), payload, summary, now)
    if held is not None:
        return held, None
    shown = await record_as_node(
        pool,
        base_url=base_url,
        remote=remote,
        name=name,
        kind=kind,
        target=target,
        now=now,
    )
    return None, shown
