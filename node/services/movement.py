"""Movement objects of local groups: create, update, delete, list — each published in one
transaction with its activity and deliveries; the node and the tagged clusters relay public
objects with `Announce` (FEP-1b12's Announce of the activity plus the plain Announce of the
object that Mastodon boosts)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg
import structlog

from federation.delivery.plan import uncovered
from federation.vocab import activities
from federation.vocab.activities import PUBLIC, iso
from federation.vocab.shapes import Activity, Tombstone
from node.confederation.relay import relay
from node.domain.actors import LocalActor, actor_url
from node.movement import pledging
from node.movement.schemas import FieldError, validate
from node.movement.wire import Addressing, build_object
from node.services import media, pledges
from node.services.publish import announce, send_activity, store_and_create
from node.storage import actors as store, confederations as cstore, follows, objects
from node.storage.channels import Channel, notify
from node.storage.db import Connection, Pool
from node.storage.polls import count_votes
from node.storage.versions import keep as keep_version

log = structlog.get_logger(__name__)
AUTHOR_KINDS = frozenset({"group", "node", "cluster"})


class InvalidInputError(Exception):
    """Authoring input that fails the schema (or names unknown clusters); nothing was stored."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))
        self.errors = errors


class ObjectNotFoundError(LookupError):
    pass


async def clusters_named(conn: Connection, names: list[str]) -> dict[str, LocalActor]:
    found = await store.local_clusters(conn, names)
    return {n: found[n] for n in names if n in found}


async def check(
    conn: Connection, base_url: str, actor: LocalActor, kind: str, data: Any
) -> dict[str, LocalActor]:
    """Validate authoring input; returns its clusters. Raises InvalidInputError with
    every failing field at once (the schema's, unknown clusters, foreign images)."""
    errors = validate(kind, data)
    errors += (await media.attachments(conn, base_url, actor, data))[1]
    if kind == "proposal" and isinstance(data, dict):
        listed = data.get("electorate") == "list"
        if listed and "voters" not in data:
            errors.append(FieldError("voters", "is required with electorate list"))
        if not listed and "voters" in data:
            errors.append(FieldError("voters", "is only for electorate list"))
    given = data.get("clusters") if isinstance(data, dict) else None
    names = [n for n in given if isinstance(n, str)] if isinstance(given, list) else []
    clusters = await clusters_named(conn, names)
    missing = [(i, n) for i, n in enumerate(names) if n not in clusters]
    if missing:
        known = sorted(a.name for a in await store.local_by_kind(conn, "cluster"))
        there = f"this node has {', '.join(known)}" if known else "this node has none"
        errors += [
            FieldError(f"clusters.{i}", f"no cluster {n!r} on this node ({there})")
            for i, n in missing
            if not any(e.field == f"clusters.{i}" for e in errors)
        ]
    if errors:
        raise InvalidInputError(errors)
    return clusters


async def _addressing(
    conn: Connection,
    base_url: str,
    actor: LocalActor,
    object_id: str,
    data: Any,
    clusters: dict[str, LocalActor],
    published: datetime,
    updated: datetime | None = None,
) -> Addressing:
    me = actor_url(base_url, actor)
    attached, _refused = await media.attachments(conn, base_url, actor, data)
    return Addressing(
        attachments=tuple(attached),
        object_id=object_id,
        actor=me,
        followers=f"{me}/followers",
        clusters={n: actor_url(base_url, c) for n, c in clusters.items()},
        published=published,
        updated=updated,
    )


async def _relayers(
    conn: Connection, clusters: dict[str, LocalActor]
) -> list[LocalActor]:
    nodes = await store.local_by_kind(conn, "node")
    return [*nodes, *clusters.values()]


async def _announce(
    conn: Connection,
    *,
    base_url: str,
    relayer: LocalActor,
    activity: Activity,
    object_id: str,
    inboxes: list[str],
) -> int:
    """FEP-1b12 Announce{activity} and the plain Announce{object id} to `inboxes` of the
    relayer's followers."""
    queued = 0
    for obj in (activity, object_id):
        queued += await announce(
            conn, base_url=base_url, relayer=relayer, obj=obj, inboxes=inboxes
        )
    return queued


async def create_object(
    pool: Pool,
    *,
    base_url: str,
    actor: LocalActor,
    kind: str,
    data: Any,
    now: datetime,
) -> dict[str, Any]:
    """Validate, store and publish a movement object; returns the AS2 object."""
    async with pool.acquire() as conn, conn.transaction():
        clusters = await check(conn, base_url, actor, kind, data)
        object_id = f"{actor_url(base_url, actor)}/objects/{uuid.uuid4()}"
        at = await _addressing(conn, base_url, actor, object_id, data, clusters, now)
        obj = build_object(kind, data, at)
        public = data.get("audience", "public") == "public"
        create, queued = await store_and_create(
            conn,
            base_url=base_url,
            actor=actor,
            obj=obj,
            public=public,
            kind=kind,
            fields=data,
            clusters=list(clusters),
            published=now,
        )
        if kind == "proposal":
            await notify(conn, Channel.POLLS)
        if public:
            # the node and the object's clusters boost it, each only to the inboxes where
            # someone does not get it yet (by the author's Create or an earlier boost):
            # a follower of several of them sees it once
            covered = await follows.accepted_by_inbox(conn, actor.id)
            for relayer in await _relayers(conn, clusters):
                needed, covered = uncovered(
                    await follows.accepted_by_inbox(conn, relayer.id), covered
                )
                queued += await _announce(
                    conn,
                    base_url=base_url,
                    relayer=relayer,
                    activity=create,
                    object_id=object_id,
                    inboxes=needed,
                )
            for node in await store.local_by_kind(conn, "node"):
                queued += await relay(
                    conn,
                    base_url=base_url,
                    object_id=object_id,
                    kind=kind,
                    clusters=list(clusters),
                    via=actor_url(base_url, node),
                )
    log.info(
        "movement_object_published", object_id=object_id, kind=kind, deliveries=queued
    )
    return obj


async def _own_row(
    conn: Connection, actor: LocalActor, object_id: str
) -> asyncpg.Record:
    row = await objects.lock_own(conn, actor.id, object_id)
    if row is None:
        msg = f"no object {object_id}"
        raise ObjectNotFoundError(msg)
    return row


async def _everyone_who_saw_it(
    conn: Connection,
    actor: LocalActor,
    object_id: str,
    cluster_names: list[str],
    public: bool,
) -> list[int]:
    """The local actors whose followers received the object: the group; if public, the node,
    the clusters, and the confederation replicas and cluster actors that announced it (their
    followers' servers hold it too, and take an Update or Delete from its author)."""
    if not public:
        return [actor.id]
    clusters = await clusters_named(conn, cluster_names)
    return [
        actor.id,
        *(r.id for r in await _relayers(conn, clusters)),
        *await cstore.announcers_of(conn, object_id),
    ]


async def republish(
    conn: Connection,
    *,
    base_url: str,
    actor: LocalActor,
    object_id: str,
    kind: str,
    data: dict[str, Any],
    clusters: dict[str, LocalActor],
    published: datetime,
    public: bool,
    now: datetime,
    seen_in: list[str],
    edit: bool = True,
) -> tuple[dict[str, Any], int]:
    """Rebuild a stored object with `updated` = now, store it, and send an Update to everyone
    who received it (the group, and if public the node and the clusters in `seen_in`). A
    proposal carries its current tallies, and `closed` once its `endTime` has passed."""
    # a new tally is not an edit (Mastodon marks an object edited when `updated` moves)
    updated = now if edit else await objects.updated_at(conn, object_id)
    at = await _addressing(
        conn, base_url, actor, object_id, data, clusters, published, updated
    )
    if kind == "proposal":
        tallies, voters = await count_votes(conn, object_id)
        end = datetime.fromisoformat(data["endTime"])
        obj = build_object(
            kind,
            data,
            at,
            tallies=tallies,
            voters=voters,
            closed=end if now >= end else None,
        )
    else:
        obj = build_object(kind, data, at)
    await objects.replace(
        conn, obj=obj, fields=data, clusters=list(clusters), updated=updated
    )
    update = activities.update(
        id=f"{object_id}#updates/{uuid.uuid4()}", actor=obj["attributedTo"], obj=obj
    )
    queued = await send_activity(
        conn,
        base_url=base_url,
        actor=actor,
        activity=update,
        public=public,
        followers_of=await _everyone_who_saw_it(
            conn, actor, object_id, seen_in, public
        ),
    )
    return obj, queued


async def update_object(
    pool: Pool,
    *,
    base_url: str,
    actor: LocalActor,
    object_id: str,
    data: Any,
    now: datetime,
) -> dict[str, Any]:
    """Replace a movement object's fields (same kind); publishes an Update with a newer `updated`."""
    async with pool.acquire() as conn, conn.transaction():
        row = await _own_row(conn, actor, object_id)
        kind = row["kind"]
        clusters = await check(conn, base_url, actor, kind, data)
        public = data.get("audience", "public") == "public"
        if public != row["public"]:
            raise InvalidInputError(
                [
                    FieldError(
                        "audience",
                        "cannot change once published (delete and publish anew)",
                    )
                ]
            )
        if row["closed_at"] is not None:
            raise InvalidInputError(
                [FieldError("endTime", "the poll has closed; it can no longer change")]
            )
        if kind == "proposal":
            await notify(conn, Channel.POLLS)
        if kind == "vision":  # the version it replaces stays readable
            await keep_version(conn, object_id)
        obj, queued = await republish(
            conn,
            base_url=base_url,
            actor=actor,
            object_id=object_id,
            kind=kind,
            data=data,
            clusters=clusters,
            published=row["published_at"],
            public=public,
            now=now,
            seen_in=sorted({*row["clusters"], *clusters}),
        )
        if kind == "call":
            await pledges.tell_pledgers(
                conn,
                base_url=base_url,
                group=actor,
                call_id=object_id,
                lines=pledging.changes(dict(row["fields"]), data),
                now=now,
            )
    log.info("movement_object_updated", object_id=object_id, deliveries=queued)
    return obj


async def delete_reach(pool: Pool, *, actor: LocalActor, object_id: str) -> int:
    """How many followers (of the group, and of everyone who relayed the object) a Delete
    of it would reach: what an organiser confirms before deleting."""
    async with pool.acquire() as conn:
        row = await objects.lock_own(conn, actor.id, object_id)
        if row is None:
            msg = f"no object {object_id}"
            raise ObjectNotFoundError(msg)
        total = 0
        for local_actor_id in set(
            await _everyone_who_saw_it(
                conn, actor, object_id, list(row["clusters"]), bool(row["public"])
            )
        ):
            total += await follows.count_followers(conn, local_actor_id)
        return total


async def delete_object(
    pool: Pool,
    *,
    base_url: str,
    actor: LocalActor,
    object_id: str,
    now: datetime,
) -> None:
    """Leave a Tombstone at the object's URL (410 from then on) and publish a Delete."""
    async with pool.acquire() as conn, conn.transaction():
        row = await _own_row(conn, actor, object_id)
        tombstone: Tombstone = {
            "id": object_id,
            "type": "Tombstone",
            "deleted": iso(now),
        }
        await objects.tombstone(conn, object_id, tombstone, now)
        me = actor_url(base_url, actor)
        public = bool(row["public"])
        delete = activities.delete(
            id=f"{object_id}#delete",
            actor=me,
            tombstone=tombstone,
            to=[PUBLIC] if public else [f"{me}/followers"],
            cc=[f"{me}/followers"] if public else [],
        )
        queued = await send_activity(
            conn,
            base_url=base_url,
            actor=actor,
            activity=delete,
            public=public,
            followers_of=await _everyone_who_saw_it(
                conn, actor, object_id, list(row["clusters"]), public
            ),
        )
        if row["kind"] == "call":
            await pledges.tell_pledgers(
                conn,
                base_url=base_url,
                group=actor,
                call_id=object_id,
                lines=pledging.changes(dict(row["fields"]), None),
                now=now,
            )
    log.info("movement_object_deleted", object_id=object_id, deliveries=queued)
