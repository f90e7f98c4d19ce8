"""What comes back to a group: replies to its objects, mentions of it, direct messages
(capability contacts among them) and reports — listed for its organisers, marked read,
answered, and (replies) hidden from its pages."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any
from urllib.parse import urlsplit

from federation.audience import Audience
from federation.delivery.plan import recipient_of
from federation.vocab import activities
from federation.vocab.read import as_list
from node.domain.actors import LocalActor, actor_url, local_name
from node.services.publish import plain_text_html, store_and_create
from node.services.remote import RemoteActors
from node.storage import actors as store, blocks, group_inbox, objects
from node.storage.db import Connection, Pool

KINDS = ("reply", "mention", "direct", "report")
PAGE = 20
MAX_ANSWER = 5000


class ItemNotFoundError(LookupError):
    """No such item in this actor's inbox."""


class NotAnswerableError(ValueError):
    """A report is read, not answered."""


def addressed_names(obj: dict[str, Any], base_url: str) -> list[str]:
    """The local actors an object mentions (a Mention tag) or is addressed to, by name."""
    urls = [
        str(tag.get("href", ""))
        for tag in as_list(obj.get("tag"))
        if isinstance(tag, dict) and tag.get("type") == "Mention"
    ]
    urls += sorted(Audience.of(obj).addressed)
    names = (local_name(base_url, url) for url in urls)
    return list(dict.fromkeys(n for n in names if n is not None))


async def record(
    conn: Connection,
    *,
    base_url: str,
    obj: dict[str, Any],
    actor: str,
    in_reply_to: str | None,
) -> int:
    """File a stored remote object with every local actor it concerns: the author of the
    object it replies to, and each local actor it mentions; returns how many items."""
    audience = Audience.of(obj)
    direct = not audience.public and not audience.to_followers
    owners: dict[int, tuple[str, str | None]] = {}
    if in_reply_to is not None:
        target = await objects.live_audience(conn, in_reply_to)
        if target is not None:
            owners[target["local_actor_id"]] = (
                "direct" if direct else "reply",
                in_reply_to,
            )
    for name in addressed_names(obj, base_url):
        local = await store.local_by_name(conn, name)
        if local is not None and local.kind != "instance":
            owners.setdefault(
                local.id, ("direct" if direct else "mention", in_reply_to)
            )
    filed = 0
    for local_actor_id, (kind, about) in owners.items():
        if await blocks.is_blocked(conn, local_actor_id, actor):
            if kind == "reply" and about is not None:
                await blocks.hide_replies(conn, actor=actor, object_ids=[about])
            continue
        filed += await group_inbox.add(
            conn,
            local_actor_id=local_actor_id,
            kind=kind,
            remote_id=str(obj["id"]),
            actor=actor,
            about=about,
        )
    return filed


async def record_report(
    conn: Connection,
    *,
    local_actor_id: int,
    flag: dict[str, Any],
    actor: str,
    about: str | None,
) -> bool:
    return await group_inbox.add(
        conn,
        local_actor_id=local_actor_id,
        kind="report",
        remote_id=str(flag["id"]),
        actor=actor,
        about=about,
        body=flag,
    )


@dataclass(frozen=True, slots=True)
class Person:
    id: str
    name: str
    handle: str
    url: str

    def as_json(self) -> dict[str, str]:
        return {
            "id": self.id,
            "name": self.name,
            "handle": self.handle,
            "url": self.url,
        }


def safe_link(value: Any, fallback: str) -> str:
    """A remote document's link, only when it is http(s) (never `javascript:` and the like)."""
    if isinstance(value, str) and value.startswith(("https://", "http://")):
        return value
    return fallback


def person(actor: str, document: dict[str, Any] | None) -> Person:
    """How a remote actor is shown: its display name and handle, never just a URL."""
    doc = document or {}
    user = doc.get("preferredUsername")
    parts = urlsplit(actor)
    host = parts.netloc
    if not doc:
        # not fetched yet: the name the usual actor paths carry (/actors/x, /users/x, /@x)
        last = parts.path.rstrip("/").rsplit("/", 1)[-1].lstrip("@")
        user = last if last and parts.path.count("/") <= 2 else None
    handle = f"@{user}@{host}" if isinstance(user, str) and user else actor
    name = doc.get("name") if isinstance(doc.get("name"), str) else None
    url = safe_link(doc.get("url"), actor)
    return Person(actor, (name or "").strip()[:100] or handle, handle, url)


def _item(row: Any) -> dict[str, Any]:
    body = dict(row["body"] or {}) if row["kind"] != "report" else {}
    report = dict(row["report"] or {})
    who = person(row["actor"], row["actor_document"])
    about_fields = dict(row["about_fields"] or {})
    return {
        "id": row["id"],
        "kind": row["kind"],
        "read": row["read_at"] is not None,
        "received_at": row["received_at"].isoformat(),
        "actor": who.as_json(),
        "object": None
        if row["kind"] == "report"
        else {
            "id": row["remote_id"],
            "url": body.get("url")
            if isinstance(body.get("url"), str)
            else row["remote_id"],
            "content": body.get("content")
            if isinstance(body.get("content"), str)
            else "",
            "summary": body.get("summary")
            if isinstance(body.get("summary"), str)
            else None,
            "public": bool(row["public"]),
            "hidden": row["hidden_at"] is not None,
        },
        "report": None
        if row["kind"] != "report"
        else {
            "comment": str(report.get("content") or "")[:MAX_ANSWER],
            "objects": [o for o in as_list(report.get("object")) if isinstance(o, str)][
                :50
            ],
        },
        "about": None
        if row["about"] is None
        else {"id": row["about"], "title": about_fields.get("title")},
    }


async def listing(
    pool: Pool,
    actor: LocalActor,
    *,
    kind: str | None = None,
    about: str | None = None,
    page: int = 1,
) -> dict[str, Any]:
    """One page of the inbox, unread first, newest first."""
    rows = await group_inbox.listing(
        pool,
        actor.id,
        kind=kind,
        about=about,
        limit=PAGE + 1,
        offset=(page - 1) * PAGE,
    )
    return {
        "items": [_item(r) for r in rows[:PAGE]],
        "page": page,
        "next_page": page + 1 if len(rows) > PAGE else None,
        "unread": await group_inbox.unread_count(pool, actor.id),
    }


async def mark_read(pool: Pool, actor: LocalActor, item_id: int) -> None:
    async with pool.acquire() as conn:
        if not await group_inbox.mark_read(conn, actor.id, item_id):
            raise ItemNotFoundError(item_id)


async def hide(pool: Pool, actor: LocalActor, item_id: int, *, hidden: bool) -> None:
    """Hide a reply to one of `actor`'s objects (or show it again)."""
    async with pool.acquire() as conn:
        if not await group_inbox.set_hidden(
            conn, local_actor_id=actor.id, item_id=item_id, hidden=hidden
        ):
            raise ItemNotFoundError(item_id)


async def answer(
    pool: Pool,
    *,
    base_url: str,
    remote: RemoteActors,
    actor: LocalActor,
    item_id: int,
    text: str,
    direct: bool,
    now: datetime,
) -> dict[str, Any]:
    """Reply to an item as `actor`: a Note in reply to it, mentioning its sender, public
    (to the followers too) or direct (to the sender alone); returns the Note.

    Raises:
        ItemNotFoundError: not an item of `actor`'s.
        NotAnswerableError: a report.
        FederationError: the sender's server cannot be reached for its actor.
    """
    row = await group_inbox.item(pool, actor.id, item_id)
    if row is None or (row["kind"] != "report" and row["deleted_at"] is not None):
        raise ItemNotFoundError(item_id)
    if row["kind"] == "report":
        msg = "a report cannot be answered"
        raise NotAnswerableError(msg)
    sender = row["actor"]
    doc = row["actor_document"] or await remote.fetch_actor(sender)
    who = person(sender, doc)
    me = actor_url(base_url, actor)
    mention = (
        f'<span class="h-card"><a href="{escape(who.url)}" class="u-url mention">'
        f"@{escape(who.handle.lstrip('@').split('@', 1)[0])}</a></span>"
    )
    note = activities.note(
        id=f"{me}/objects/{uuid.uuid4()}",
        actor=me,
        content_html=f"<p>{mention}</p>" + plain_text_html(text),
        published=now,
        followers=f"{me}/followers",
    )
    note |= {
        "@context": activities.AS_CONTEXT,
        "inReplyTo": row["remote_id"],
        "tag": [{"type": "Mention", "href": sender, "name": who.handle}],
    }
    if direct:
        note |= {"to": [sender], "cc": []}
    else:
        note["cc"] = [f"{me}/followers", sender]
    async with pool.acquire() as conn, conn.transaction():
        await store_and_create(
            conn,
            base_url=base_url,
            actor=actor,
            obj=note,
            public=not direct,
            extra_recipients=[recipient_of(doc)],
            to_followers=not direct,
        )
        await group_inbox.mark_read(conn, actor.id, item_id)
    return note


REPLIES_PAGE = 50


async def public_replies(pool: Pool, object_id: str, page: int = 1) -> dict[str, Any]:
    """The replies shown on an object's public page: public, not hidden, oldest first;
    their HTML was sanitized when they were received."""
    rows = await group_inbox.public_replies(
        pool, object_id, limit=REPLIES_PAGE + 1, offset=(page - 1) * REPLIES_PAGE
    )
    items = []
    for r in rows[:REPLIES_PAGE]:
        body = dict(r["body"])
        items.append(
            {
                "author": person(r["actor"], r["actor_document"]),
                "content": body.get("content")
                if isinstance(body.get("content"), str)
                else "",
                "url": safe_link(body.get("url"), r["id"]),
                "received_at": r["received_at"],
            }
        )
    return {
        "items": items,
        "page": page,
        "next_page": page + 1 if len(rows) > REPLIES_PAGE else None,
    }
