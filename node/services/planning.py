"""A vision's plan: a group takes on an item of it (a signed Note of its own) and updates
it as it goes (an `Update` of that Note to its followers and the vision's author). The
vision's node keeps the items of its visions; an item, or a change to one, counts only from
the group that owns it (the deliverer, the Note's author, on its origin, with a proof that
verifies), so no one can move someone else's item.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import structlog

from federation.inbox import IncomingActivity
from federation.vocab import activities
from node.domain.actors import LocalActor, actor_url
from node.movement import planning
from node.movement.schemas import FieldError, validate
from node.services.actors import sign_document
from node.services.context import Context
from node.services.publish import send_activity
from node.services.remote import RemoteActors
from node.services.signed_notes import (
    NoteError,
    Target,
    checked,
    find_target,
    publish,
)
from node.storage import objects, plan_items as store
from node.storage.db import Connection, Pool

log = structlog.get_logger(__name__)
VISIONS = frozenset({"vision"})


class PlanInputError(ValueError):
    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))
        self.errors = errors


def _fields(
    data: dict[str, Any], progress: list[dict[str, str]], now: datetime
) -> dict[str, Any]:
    notes = list(progress)
    if data.get("note"):
        notes.append({"at": now.isoformat(), "note": str(data["note"])})
    return {
        "title": data["title"],
        "status": data.get("status", "proposed"),
        "due": data.get("due"),
        "progress": notes[-planning.MAX_NOTES :],
    }


async def _publish(
    pool: Pool,
    *,
    base_url: str,
    actor: LocalActor,
    target: Target,
    item_id: str,
    fields: dict[str, Any],
    published: datetime,
    now: datetime,
    update: bool,
) -> dict[str, Any]:
    me = actor_url(base_url, actor)
    note = planning.build(
        item_id=item_id,
        owner=me,
        owner_name=actor.display_name or actor.name,
        followers=f"{me}/followers",
        vision=target.id,
        vision_title=target.title,
        vision_author=target.author,
        title=fields["title"],
        status=fields["status"],
        due=fields["due"],
        progress=fields["progress"],
        published=published,
        updated=now if update else None,
    )
    signed = await sign_document(
        pool, base_url=base_url, actor=actor, document=note, now=now
    )
    async with pool.acquire() as conn, conn.transaction():
        if update:
            await objects.replace(
                conn, obj=signed, fields=None, clusters=[], updated=now
            )
            await send_activity(
                conn,
                base_url=base_url,
                actor=actor,
                activity=activities.update(
                    id=f"{item_id}#updates/{uuid.uuid4()}", actor=me, obj=signed
                ),
                public=True,
                followers_of=[actor.id],
                extra_recipients=target.recipients,
            )
        else:
            await publish(
                conn, base_url=base_url, actor=actor, note=signed, target=target
            )
        await store.upsert(
            conn,
            item_id=item_id,
            vision_id=target.id,
            owner=me,
            fields=fields,
            document=signed,
            local_actor_id=actor.id,
            when=now,
        )
    return signed


async def take_on(
    pool: Pool,
    *,
    base_url: str,
    remote: RemoteActors,
    actor: LocalActor,
    data: Any,
    now: datetime,
) -> dict[str, Any]:
    """`actor` takes on an item of a vision's plan; returns the signed Note.

    Raises:
        PlanInputError: the input fails the schema.
        NoteError: the vision is not a public vision (or cannot be read).
    """
    errors = validate("plan_item", data)
    if errors:
        raise PlanInputError(errors)
    target = await find_target(pool, base_url, remote, data["vision"], VISIONS)
    item_id = f"{actor_url(base_url, actor)}/objects/{uuid.uuid4()}"
    note = await _publish(
        pool,
        base_url=base_url,
        actor=actor,
        target=target,
        item_id=item_id,
        fields=_fields(data, [], now),
        published=now,
        now=now,
        update=False,
    )
    log.info("plan_item_taken_on", owner=actor.name, vision=target.id)
    return note


async def update(
    pool: Pool,
    *,
    base_url: str,
    remote: RemoteActors,
    actor: LocalActor,
    item_id: str,
    data: Any,
    now: datetime,
) -> dict[str, Any]:
    """The owner changes its item (title, status, due date) and may add a progress note.

    Raises:
        NoteError: 404 when `item_id` is not an item `actor` owns.
        PlanInputError: the changed item fails the schema.
    """
    row = await store.get(pool, item_id)
    if row is None or row["local_actor_id"] != actor.id:
        raise NoteError(
            code="not_found", message="no item of yours by that id", status=404
        )
    if not isinstance(data, dict) or "vision" in data:
        raise PlanInputError([FieldError("vision", "an item stays with its vision")])
    current = {
        "vision": row["vision_id"],
        "title": row["title"],
        "status": row["status"],
    }
    if row["due"] is not None:
        current["due"] = row["due"].isoformat()
    merged = current | data
    errors = validate("plan_item", merged)
    if errors:
        raise PlanInputError(errors)
    target = await find_target(pool, base_url, remote, row["vision_id"], VISIONS)
    note = await _publish(
        pool,
        base_url=base_url,
        actor=actor,
        target=target,
        item_id=item_id,
        fields=_fields(merged, list(row["progress"]), now),
        published=row["published_at"],
        now=now,
        update=True,
    )
    log.info(
        "plan_item_updated", owner=actor.name, item=item_id, status=merged.get("status")
    )
    return note


async def receive(conn: Connection, act: IncomingActivity, ctx: Context) -> bool:
    """An incoming Create or Update of a plan item; True when it was one (kept or not)."""
    parsed = planning.read(act.raw.get("object"))
    if parsed is None:
        return False
    owner, vision, fields = parsed
    found = await checked(
        conn,
        act,
        ctx,
        author=owner,
        target=vision,
        kinds=VISIONS,
        event="plan_item_refused",
    )
    if found is None:
        return True
    kept = await store.upsert(
        conn,
        item_id=found.note["id"],
        vision_id=vision,
        owner=owner,
        fields=fields,
        document=found.note,
        local_actor_id=None,
        when=ctx.now(),
    )
    log.info(
        "plan_item_received" if kept else "plan_item_refused",
        owner=owner,
        item=found.note["id"],
    )
    return True
