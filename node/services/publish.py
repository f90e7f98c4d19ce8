"""Publishing: persist an object, wrap it in Create, plan deliveries, enqueue — one transaction."""

from __future__ import annotations

import uuid
from html import escape
from typing import Any

import asyncpg
import structlog

from federation.delivery import pgqueue
from federation.delivery.plan import plan_inboxes
from federation.vocab import activities
from node.clock import utcnow
from node.domain.actors import LocalActor, actor_url
from node.storage import actors as store, domains, follows

log = structlog.get_logger(__name__)


def plain_text_html(text: str) -> str:
    """Plain text -> paragraphs Mastodon keeps (escaped; blank lines split paragraphs)."""
    paragraphs = [
        p.strip() for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()
    ]
    return "".join(f"<p>{escape(p).replace(chr(10), '<br>')}</p>" for p in paragraphs)


async def publish_object(
    pool: asyncpg.Pool[Any],
    *,
    base_url: str,
    actor: LocalActor,
    obj: dict[str, Any],
    public: bool = True,
) -> dict[str, Any]:
    """Store `obj`, its Create and one delivery per follower inbox; returns the Create."""
    create = activities.create(
        id=f"{obj['id']}/activity", actor=actor_url(base_url, actor), obj=obj
    )
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            "INSERT INTO objects (id, local_actor_id, type, body, public) VALUES ($1, $2, $3, $4, $5)",
            obj["id"],
            actor.id,
            obj["type"],
            obj,
            public,
        )
        await conn.execute(
            """INSERT INTO outbox (activity_id, local_actor_id, type, object_id, public, body)
               VALUES ($1, $2, 'Create', $3, $4, $5)""",
            create["id"],
            actor.id,
            obj["id"],
            public,
            create,
        )
        recipients = await follows.accepted_recipients(conn, actor.id)
        blocked = frozenset(await domains.blocked(conn))
        inboxes = plan_inboxes(recipients, local_base=base_url, blocked_hosts=blocked)
        queued = await pgqueue.enqueue_many(
            conn,
            activity_id=create["id"],
            body=create,
            signer=actor.name,
            inboxes=inboxes,
        )
    log.info(
        "published", object_id=obj["id"], deliveries=queued, followers=len(recipients)
    )
    return create


async def post_note(
    pool: asyncpg.Pool[Any], *, base_url: str, actor_name: str, text: str
) -> dict[str, Any]:
    """Publish a public Note by a local actor (the minimal publishing path)."""
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
    return await publish_object(pool, base_url=base_url, actor=actor, obj=note)
