"""Publishing: persist an object, wrap it in Create, plan deliveries, enqueue — one transaction."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from datetime import datetime
from html import escape
from typing import Any

import asyncpg
import structlog

from federation.delivery import pgqueue
from federation.delivery.plan import Recipient, plan_inboxes, recipient_of
from federation.relays import RELAYED_TYPES
from federation.vocab import activities
from federation.vocab.activities import PUBLIC
from federation.vocab.actors import build_actor
from federation.vocab.shapes import Activity
from node.clock import utcnow
from node.domain.actors import LocalActor, actor_url, to_actor_info
from node.storage import actors as store, domains, follows, objects, relays
from node.storage.db import Connection

log = structlog.get_logger(__name__)


def plain_text_html(text: str) -> str:
    """Plain text -> paragraphs Mastodon keeps (escaped; blank lines split paragraphs)."""
    paragraphs = [
        p.strip() for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()
    ]
    return "".join(f"<p>{escape(p).replace(chr(10), '<br>')}</p>" for p in paragraphs)


MENTION_RE = re.compile(
    r"(?<![\w/@])@([a-z0-9_.-]+)@([a-z0-9.-]+(?::\d+)?)", re.IGNORECASE
)


def find_mentions(text: str) -> list[str]:
    """`user@host` handles mentioned as `@user@host` in plain text, in order, once each."""
    return list(dict.fromkeys(f"{m[1]}@{m[2]}" for m in MENTION_RE.finditer(text)))


def _link_mentions(html: str, mentions: list[tuple[str, dict[str, Any]]]) -> str:
    for handle, doc in mentions:
        user = handle.split("@", 1)[0]
        link = f'<span class="h-card"><a href="{escape(doc["id"])}" class="u-url mention">@{escape(user)}</a></span>'
        html = html.replace(f"@{escape(handle)}", link)
    return html


async def send_activity(
    conn: Connection,
    *,
    base_url: str,
    actor: LocalActor,
    activity: Activity,
    public: bool,
    followers_of: list[int],
    extra_recipients: list[Recipient] | None = None,
) -> int:
    """Put `activity` in `actor`'s outbox and queue one delivery of it (signed by `actor`)
    per inbox of the accepted followers of the local actors `followers_of` (a shared inbox
    once), and, for a public Create, Update or Delete, per relay that accepted us, inside
    the caller's transaction; returns how many deliveries were queued."""
    await objects.append_outbox(
        conn,
        activity=activity,
        local_actor_id=actor.id,
        object_id=activities.object_id(activity),
        public=public,
    )
    recipients = list(extra_recipients or [])
    for local_actor_id in followers_of:
        recipients += await follows.accepted_recipients(conn, local_actor_id)
    if public and activity.get("type") in RELAYED_TYPES:
        recipients += await relays.accepted_recipients(conn)
    return await enqueue(
        conn, base_url=base_url, signer=actor, activity=activity, to=recipients
    )


async def announce(
    conn: Connection,
    *,
    base_url: str,
    relayer: LocalActor,
    obj: Mapping[str, Any] | str,
    inboxes: list[str] | None = None,
) -> int:
    """`relayer` announces `obj` (an activity, or an object id) publicly to its followers
    (or, with `inboxes`, to those of their inboxes only); returns how many deliveries
    were queued."""
    me = actor_url(base_url, relayer)
    activity = activities.announce(
        id=f"{me}/announces/{uuid.uuid4()}",
        actor=me,
        obj=obj,
        to=[activities.PUBLIC],
        cc=[f"{me}/followers"],
    )
    return await send_activity(
        conn,
        base_url=base_url,
        actor=relayer,
        activity=activity,
        public=True,
        followers_of=[relayer.id] if inboxes is None else [],
        extra_recipients=None
        if inboxes is None
        else [Recipient(inbox, inbox) for inbox in inboxes],
    )


async def enqueue(
    conn: Connection,
    *,
    base_url: str,
    signer: LocalActor,
    activity: Mapping[str, Any],
    to: list[Recipient],
) -> int:
    """Queue one delivery of `activity` per inbox of `to` (a shared inbox once; never our own
    or a blocked host), signed by `signer`, inside the caller's transaction."""
    blocked = frozenset(await domains.blocked(conn))
    inboxes = plan_inboxes(to, local_base=base_url, blocked_hosts=blocked)
    return await pgqueue.enqueue_many(
        conn,
        activity_id=activity["id"],
        body=activity,
        signer=signer.name,
        inboxes=inboxes,
    )


async def store_and_create(
    conn: Connection,
    *,
    base_url: str,
    actor: LocalActor,
    obj: dict[str, Any],
    public: bool,
    extra_recipients: list[Recipient] | None = None,
    kind: str | None = None,
    fields: dict[str, Any] | None = None,
    clusters: list[str] | None = None,
    published: datetime | None = None,
    to_followers: bool = True,
) -> tuple[Activity, int]:
    """Store `obj` (with its movement `kind`/`fields`/`clusters`, if any) and send its Create
    to the actor's followers and `extra_recipients`, inside the caller's transaction;
    returns the Create and how many deliveries were queued."""
    await objects.insert(
        conn,
        obj=obj,
        local_actor_id=actor.id,
        public=public,
        kind=kind,
        fields=fields,
        clusters=clusters or [],
        published=published,
    )
    create = activities.create(
        id=f"{obj['id']}/activity", actor=actor_url(base_url, actor), obj=obj
    )
    queued = await send_activity(
        conn,
        base_url=base_url,
        actor=actor,
        activity=create,
        public=public,
        followers_of=[actor.id] if to_followers else [],
        extra_recipients=extra_recipients,
    )
    return create, queued


async def publish_object(
    pool: asyncpg.Pool[Any],
    *,
    base_url: str,
    actor: LocalActor,
    obj: dict[str, Any],
    public: bool = True,
    extra_recipients: list[Recipient] | None = None,
) -> Activity:
    """Store `obj`, its Create and one delivery per follower (and mentioned) inbox; returns the Create."""
    async with pool.acquire() as conn, conn.transaction():
        create, queued = await store_and_create(
            conn,
            base_url=base_url,
            actor=actor,
            obj=obj,
            public=public,
            extra_recipients=extra_recipients,
        )
    log.info("published", object_id=obj["id"], deliveries=queued)
    return create


async def post_note(
    pool: asyncpg.Pool[Any],
    *,
    base_url: str,
    actor_name: str,
    text: str,
    mentions: list[tuple[str, dict[str, Any]]] | None = None,
) -> Activity:
    """Publish a public Note by a local actor (the minimal publishing path).

    `mentions` are (handle, resolved actor document) pairs: each gets a Mention tag, a
    link in the content, a place in `cc`, and a delivery.
    """
    actor = await store.local_by_name(pool, actor_name)
    if actor is None or actor.kind == "instance":
        msg = f"no local actor {actor_name!r}"
        raise LookupError(msg)
    if not text.strip():
        msg = "the text is empty"
        raise ValueError(msg)
    me = actor_url(base_url, actor)
    note = activities.note(
        id=f"{me}/objects/{uuid.uuid4()}",
        actor=me,
        content_html=plain_text_html(text),
        published=utcnow(),
        followers=f"{me}/followers",
    )
    note["@context"] = activities.AS_CONTEXT
    mentions = mentions or []
    if mentions:
        note["content"] = _link_mentions(note["content"], mentions)
        note["tag"] = [
            {"type": "Mention", "href": doc["id"], "name": f"@{handle}"}
            for handle, doc in mentions
        ]
        note["cc"] = [*note["cc"], *(doc["id"] for _h, doc in mentions)]
    extra = [recipient_of(doc) for _h, doc in mentions]
    return await publish_object(
        pool, base_url=base_url, actor=actor, obj=note, extra_recipients=extra
    )


async def send_actor_update(
    conn: Connection, *, base_url: str, actor: LocalActor, now: datetime | None = None
) -> int:
    """An Update of `actor`'s document to its followers, inside the caller's transaction;
    how many deliveries were queued."""
    me = actor_url(base_url, actor)
    graced = await store.graced_keys(conn, actor.id, now or utcnow())
    update = activities.update(
        id=f"{me}#updates/{uuid.uuid4()}",
        actor=me,
        obj=build_actor(to_actor_info(base_url, actor, graced)),
        to=[PUBLIC],
        cc=[f"{me}/followers"],
    )
    return await send_activity(
        conn,
        base_url=base_url,
        actor=actor,
        activity=update,
        public=True,
        followers_of=[actor.id],
    )
