"""Who runs a group: roles (admin, editor, viewer), invitations to a group, an account's
API tokens, and the two-person rule (chosen actions wait for a second admin)."""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta
from typing import Any

from node.domain.access import SCOPES, Acting, Need, Role, two_person_actions
from node.domain.actors import LocalActor
from node.services import accounts, movement
from node.services.accounts import AccessError
from node.storage import accounts as store, audit as audit_store, sessions, tokens
from node.storage.db import Pool

PENDING_DAYS = 3
MAX_TOKEN_DAYS = 366
MAX_LABEL = 80


def need(acting: Acting, what: Need) -> LocalActor:
    """The group `acting` acts for, when its role there is at least `what`.

    Raises:
        AccessError: 403 `role_required`.
    """
    group = acting.group_for(what)
    if group is None:
        raise AccessError(
            message=f"this needs the {what.value} role in the group",
            code="role_required",
            status=403,
        )
    return group


def _role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise AccessError(
            message="role: one of admin, editor, viewer",
            code="invalid_role",
            status=422,
        ) from None


async def invite(
    pool: Pool, acting: Acting, *, role: str, base_url: str, now: datetime
) -> str:
    """An admin's one-time link inviting someone to the group with `role`."""
    group = need(acting, Need.ADMIN)
    return await accounts.invite(
        pool,
        base_url=base_url,
        now=now,
        local_actor_id=group.id,
        role=_role(role),
        invited_by=acting.account_id,
    )


async def people(pool: Pool, acting: Acting) -> list[Any]:
    return await store.people_of(pool, need(acting, Need.ADMIN).id)


async def _target(pool: Pool, group: LocalActor, name: str) -> tuple[int, str]:
    account = await store.by_name(pool, name)
    held = None if account is None else await store.role(pool, account["id"], group.id)
    if account is None or held is None:
        raise AccessError(
            message=f"{name!r} holds no role in {group.name}",
            code="no_role",
            status=404,
        )
    return int(account["id"]), held


async def change_role(
    pool: Pool, acting: Acting, *, name: str, role: str | None, now: datetime
) -> int | None:
    """Give someone of the group another role, or (role None) take theirs away. Taking an
    admin's away waits for a second admin where the group wants it: the pending id then;
    None when done."""
    group = need(acting, Need.ADMIN)
    new = None if role is None else _role(role)
    account_id, held = await _target(pool, group, name)
    if held == Role.ADMIN and new != Role.ADMIN:
        await _another_admin_stays(pool, group.id)
        summary = f"{name}: {held} → {new or 'no role'}"
        payload = {"account_id": account_id, "role": None if new is None else str(new)}
        pending = await hold(pool, acting, "remove_admin", payload, summary, now)
        if pending is not None:
            return pending
    await _apply_role(pool, group.id, account_id, new)
    return None


async def _another_admin_stays(pool: Pool, group_id: int) -> None:
    """Taking an admin's role away leaves the group another admin (409 `last_admin`)."""
    if await store.admins(pool, group_id) <= 1:
        raise AccessError(
            message="a group keeps at least one admin: make another first",
            code="last_admin",
            status=409,
        )


async def _apply_role(
    pool: Pool, group_id: int, account_id: int, role: Role | None
) -> None:
    async with pool.acquire() as conn, conn.transaction():
        if role is None:
            await store.remove_role(conn, account_id, group_id)
        else:
            await store.grant(conn, account_id, group_id, str(role))


# -- an account's tokens


async def create_token(
    pool: Pool,
    acting: Acting,
    *,
    label: str,
    scope: str,
    days: int | None,
    now: datetime,
) -> tuple[int, str]:
    """A new API token of the signed-in account for its current group (shown once)."""
    group = need(acting, Need.READ)
    if acting.account_id is None:
        raise AccessError(
            message="a group token cannot make tokens: claim the group as an account",
            code="person_required",
        )
    if scope not in SCOPES:
        raise AccessError(
            message=f"scope: one of {', '.join(SCOPES)}",
            code="invalid_scope",
            status=422,
        )
    if days is not None and not 1 <= days <= MAX_TOKEN_DAYS:
        raise AccessError(
            message=f"days: 1 to {MAX_TOKEN_DAYS}", code="invalid_expiry", status=422
        )
    label = label.strip()[:MAX_LABEL]
    if not label:
        raise AccessError(
            message="label: say who or what uses it", code="invalid_label", status=422
        )
    return await tokens.create(
        pool,
        local_actor_id=group.id,
        label=label,
        account_id=acting.account_id,
        scope=scope,
        expires_at=None if days is None else now + timedelta(days=days),
    )


async def revoke_token(pool: Pool, acting: Acting, token_id: int) -> None:
    if (
        acting.account_id is None
        or await tokens.owner(pool, token_id) != acting.account_id
    ):
        raise AccessError(
            message="no such token of yours", code="unknown_token", status=404
        )
    async with pool.acquire() as conn, conn.transaction():
        await tokens.revoke(conn, token_id)
        await sessions.end_for_token(conn, token_id)


# -- the two-person rule


async def set_rules(
    pool: Pool, acting: Acting, actions: set[str], now: datetime
) -> int | None:
    """Choose the actions that wait for a second admin. Dropping a rule in force waits for
    a second admin itself (the pending id then)."""
    group = need(acting, Need.ADMIN)
    allowed = two_person_actions(group.kind)
    unknown = actions - set(allowed)
    if unknown:
        raise AccessError(
            message=f"actions: only {', '.join(allowed)}",
            code="invalid_action",
            status=422,
        )
    current = await audit_store.rules(pool, group.id)
    if actions and await store.admins(pool, group.id) < 2:
        raise AccessError(
            message="the two-person rule needs two admins",
            code="needs_two_admins",
            status=409,
        )
    if current - actions:
        if acting.account_id is None:
            raise _person_required()
        return await audit_store.hold(
            pool,
            local_actor_id=group.id,
            action="rules",
            payload={"actions": sorted(actions)},
            summary=f"two-person rule: {', '.join(sorted(actions)) or 'none'}",
            requested_by=acting.account_id,
            expires_at=now + timedelta(days=PENDING_DAYS),
        )
    await audit_store.set_rules(pool, group.id, actions)
    return None


def _person_required() -> AccessError:
    return AccessError(
        message="this group wants two admins for this: sign in with your own account",
        code="person_required",
    )


async def hold(
    pool: Pool,
    acting: Acting,
    action: str,
    payload: dict[str, Any],
    summary: str,
    now: datetime,
) -> int | None:
    """None when `action` may go ahead now; else it waits for a second admin (its id)."""
    group = need(acting, Need.READ)
    if action not in await audit_store.rules(pool, group.id):
        return None
    if acting.account_id is None:
        raise _person_required()
    return await audit_store.hold(
        pool,
        local_actor_id=group.id,
        action=action,
        payload=payload,
        summary=summary,
        requested_by=acting.account_id,
        expires_at=now + timedelta(days=PENDING_DAYS),
    )


async def delete(
    pool: Pool, acting: Acting, *, object_id: str, base_url: str, now: datetime
) -> int | None:
    """Delete one of the group's objects now (None), or, where the group wants a second
    admin for it, hold the deletion (its pending id).

    Raises:
        movement.ObjectNotFoundError: no such live object of the group.
    """
    group = need(acting, Need.WRITE)
    held = await hold(
        pool, acting, "delete", {"object_id": object_id}, f"delete {object_id}", now
    )
    if held is None:
        await movement.delete_object(
            pool, base_url=base_url, actor=group, object_id=object_id, now=now
        )
    return held


async def pending(pool: Pool, acting: Acting, now: datetime) -> list[Any]:
    return await audit_store.pending(pool, need(acting, Need.READ).id, now)


async def decide(
    pool: Pool,
    acting: Acting,
    pending_id: int,
    *,
    approve: bool,
    base_url: str,
    now: datetime,
    remote: Any = None,
) -> Any:
    """A second admin approves (the action is carried out now) or refuses a pending
    action. Whoever asked cannot approve their own."""
    group = need(acting, Need.ADMIN)
    if acting.account_id is None:
        raise _person_required()
    waiting = {r["id"]: r for r in await audit_store.pending(pool, group.id, now)}
    asked = waiting.get(pending_id)
    if (
        approve
        and asked is not None
        and asked["action"] == "remove_admin"
        and asked["payload"]["role"] != Role.ADMIN
    ):
        await _another_admin_stays(pool, group.id)
    row = await audit_store.decide(
        pool,
        pending_id,
        local_actor_id=group.id,
        by=acting.account_id,
        decision="approved" if approve else "refused",
        now=now,
    )
    if row is None:
        raise AccessError(
            message="no such pending action (or it is your own, or it has expired)",
            code="unknown_pending",
            status=404,
        )
    if approve:
        await _carry_out(pool, group, row, base_url=base_url, now=now, remote=remote)
    return row


async def _carry_out(
    pool: Pool,
    group: LocalActor,
    row: Any,
    *,
    base_url: str,
    now: datetime,
    remote: Any,
) -> None:
    payload = row["payload"]
    if row["action"] == "delete":
        # deleted in the meantime: what was asked for holds
        with contextlib.suppress(movement.ObjectNotFoundError):
            await movement.delete_object(
                pool,
                base_url=base_url,
                actor=group,
                object_id=payload["object_id"],
                now=now,
            )
    elif row["action"] == "remove_admin":
        role = payload["role"]
        await _apply_role(
            pool, group.id, payload["account_id"], None if role is None else Role(role)
        )
    elif row["action"] in ("confederation_vote", "leave_confederation"):
        from node.services import operator  # it builds on this module

        await operator.record_as_node(
            pool,
            base_url=base_url,
            remote=remote,
            name=payload["confederation"],
            kind=payload["kind"],
            target=payload["target"],
            now=now,
        )
    elif row["action"] == "rules":
        await audit_store.set_rules(pool, group.id, set(payload["actions"]))
