"""Pledges to our calls to action, from any client: event-aware servers send `Join`,
`Accept`, `TentativeAccept`, `Reject`, `Leave` (and `Undo`) of our `Event`; clients without
Event support (Mastodon and the like) answer a direct `Question` the group sends them, as
Gathio does. Counts are public; who pledged is the group's alone. Pledgers are told in a
direct message when the call's time or place changes or it is cancelled, and reminded
before it starts when the group asks for it."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from html import escape
from typing import Any

import structlog

from federation.audience import Audience, Reader, can_read
from federation.delivery.plan import Recipient, recipient_of
from federation.inbox import IncomingActivity
from federation.vocab import activities
from federation.vocab.read import id_of
from node.domain.actors import LocalActor, actor_url
from node.movement import pledging
from node.movement.wire import when_text
from node.services.publish import enqueue, plain_text_html, store_and_create
from node.storage import actors as store, blocks, follows, pledges
from node.storage.channels import Channel, notify
from node.storage.db import Connection, Pool

log = structlog.get_logger(__name__)
ASK_ON_FOLLOW = 1  # a new follower is asked about its soonest call taking pledges
EVENT_TYPES = frozenset({*pledging.PARTICIPATION, "Leave"})


async def _may_pledge(conn: Connection, call: Any, actor: str) -> bool:
    if await blocks.is_blocked(conn, call["local_actor_id"], actor):
        return False
    audience = Audience.of(dict(call["body"]))
    follower = not audience.public and await follows.is_accepted_follower(
        conn, call["local_actor_id"], actor
    )
    return can_read(audience, Reader(actor, follows_author=follower))


async def handle_event_activity(
    conn: Connection, act: IncomingActivity, *, base_url: str, now: datetime
) -> bool:
    """A participation activity whose object is one of our calls; False for any other
    object (a Follow's Accept, a confederation's Join: not ours to handle)."""
    call = await pledges.live_call(conn, act.object_id)
    if call is None:
        return False
    fields = dict(call["fields"])
    if not await _may_pledge(conn, call, act.actor):
        log.info(
            "pledge_refused", call=call["id"], reason="the call is not for this actor"
        )
        return True
    if act.type != "Leave" and not pledging.takes_pledges(fields, now):
        log.info("pledge_refused", call=call["id"], reason="the call takes no pledges")
        return True
    answer = None if act.type == "Leave" else pledging.PARTICIPATION[act.type]
    await pledges.set_answer(
        conn,
        call_id=call["id"],
        actor=act.actor,
        answer=answer,
        via="event",
        activity_id=act.id,
    )
    if act.type == "Join":
        # Mobilizon waits for the organiser's Accept of its Join
        group = await store.local_by_id(conn, call["local_actor_id"])
        doc = await store.remote_actor(conn, act.actor)
        if group is not None and doc is not None:
            accept = activities.accept(
                id=f"{actor_url(base_url, group)}/activities/{uuid.uuid4()}",
                actor=actor_url(base_url, group),
                follow_activity=act.raw,
            )
            await enqueue(
                conn,
                base_url=base_url,
                signer=group,
                activity=accept,
                to=[recipient_of(doc)],
            )
    log.info("pledge_recorded", call=call["id"], answer=answer, via=act.type)
    return True


async def undo_event_activity(
    conn: Connection, act: IncomingActivity, inner: dict[str, Any]
) -> bool:
    """Undo of a participation in one of our calls: the answer is withdrawn."""
    if (
        inner.get("type") not in pledging.PARTICIPATION
        or id_of(inner.get("actor")) != act.actor
    ):
        return False
    call = await pledges.live_call(conn, id_of(inner.get("object")))
    if call is None:
        return False
    await pledges.set_answer(
        conn,
        call_id=call["id"],
        actor=act.actor,
        answer=None,
        via="event",
        activity_id=act.id,
    )
    log.info("pledge_withdrawn", call=call["id"])
    return True


async def is_answer(
    conn: Connection, obj: dict[str, Any], in_reply_to: str | None
) -> bool:
    """A poll vote (a Note with a `name` and no content) on one of our pledge Questions."""
    return (
        in_reply_to is not None
        and isinstance(obj.get("name"), str)
        and not obj.get("content")
        and await pledges.is_question(conn, in_reply_to)
    )


async def record_answer(
    conn: Connection, act: IncomingActivity, obj: dict[str, Any], *, now: datetime
) -> None:
    """Count a vote on a pledge Question: only its addressee's, only a listed option."""
    asked = await pledges.question(conn, str(obj["inReplyTo"]))
    call = None if asked is None else await pledges.live_call(conn, asked["call_id"])
    if (
        asked is None
        or call is None
        or asked["recipient"] != act.actor
        or not await _may_pledge(conn, call, act.actor)
    ):
        log.info("pledge_answer_ignored", reason="not the addressee, or no such call")
        return
    meaning = dict(asked["options"]).get(obj["name"])
    if meaning is None or not pledging.takes_pledges(dict(call["fields"]), now):
        log.info("pledge_answer_ignored", reason="not an option, or the call has begun")
        return
    if asked["ask"] == "turnout":
        await pledges.set_answer(
            conn,
            call_id=call["id"],
            actor=act.actor,
            answer=meaning,
            via="question",
            activity_id=act.id,
        )
    else:
        await pledges.add_help(
            conn,
            call_id=call["id"],
            actor=act.actor,
            help_kind=meaning,
            activity_id=act.id,
        )
    log.info("pledge_recorded", call=call["id"], answer=meaning, via="question")


def _mention(person: str, doc: dict[str, Any]) -> tuple[str, dict[str, str]]:
    user = str(doc.get("preferredUsername") or "someone")
    html = (
        f'<span class="h-card"><a href="{escape(person)}" class="u-url mention">'
        f"@{escape(user)}</a></span>"
    )
    return html, {"type": "Mention", "href": person, "name": f"@{user}"}


async def ask(
    conn: Connection,
    *,
    base_url: str,
    group: LocalActor,
    call: Any,
    person_doc: dict[str, Any],
    now: datetime,
) -> int:
    """Send `person` the call's pledge Questions they were not sent yet (direct, to them
    alone); returns how many were sent."""
    fields = dict(call["fields"])
    if not pledging.takes_pledges(fields, now):
        return 0
    person = str(person_doc["id"])
    me = actor_url(base_url, group)
    mention, tag = _mention(person, person_doc)
    sent = 0
    for asked in pledging.asks_for(fields):
        question_id = f"{me}/objects/{uuid.uuid4()}"
        if not await pledges.add_question(
            conn,
            question_id=question_id,
            call_id=call["id"],
            recipient=person,
            ask=asked.ask,
            options=asked.options,
        ):
            continue
        choices = [
            {
                "type": "Note",
                "name": name,
                "replies": {"type": "Collection", "totalItems": 0},
            }
            for name in asked.options
        ]
        question = {
            "@context": activities.AS_CONTEXT,
            "id": question_id,
            "type": "Question",
            "attributedTo": me,
            "content": f"<p>{mention} {escape(asked.text)}</p>"
            f'<p><a href="{escape(call["id"])}">{escape(fields["title"])}</a></p>',
            "published": activities.iso(now),
            "endTime": fields["startTime"],
            "anyOf" if asked.multiple else "oneOf": choices,
            "votersCount": 0,
            "to": [person],
            "cc": [],
            "tag": [tag],
            "url": call["id"],
        }
        await store_and_create(
            conn,
            base_url=base_url,
            actor=group,
            obj=question,
            public=False,
            extra_recipients=[recipient_of(person_doc)],
            to_followers=False,
        )
        sent += 1
    return sent


async def ask_new_follower(
    conn: Connection,
    *,
    base_url: str,
    group: LocalActor,
    follower_doc: dict[str, Any],
    now: datetime,
) -> int:
    """A new accepted follower is asked about the group's soonest calls taking pledges."""
    sent = 0
    for call in await pledges.upcoming_calls(
        conn, group.id, now, limit=ASK_ON_FOLLOW + 3
    ):
        if sent >= ASK_ON_FOLLOW:
            break
        if pledging.takes_pledges(dict(call["fields"]), now) and await _may_pledge(
            conn, call, str(follower_doc["id"])
        ):
            sent += (
                1
                if await ask(
                    conn,
                    base_url=base_url,
                    group=group,
                    call=call,
                    person_doc=follower_doc,
                    now=now,
                )
                else 0
            )
    return sent


async def tell_pledgers(
    conn: Connection,
    *,
    base_url: str,
    group: LocalActor,
    call_id: str,
    lines: list[str],
    now: datetime,
) -> int:
    """A direct message to everyone who pledged (not those who said no); returns how many."""
    if not lines:
        return 0
    me = actor_url(base_url, group)
    told = 0
    for row in await pledges.to_tell(conn, call_id):
        mention, tag = _mention(
            row["actor"], {"preferredUsername": row["preferred_username"]}
        )
        note = activities.note(
            id=f"{me}/objects/{uuid.uuid4()}",
            actor=me,
            content_html=f"<p>{mention}</p>"
            + plain_text_html("\n\n".join(lines))
            + f'<p><a href="{escape(call_id)}">{escape(call_id)}</a></p>',
            published=now,
            followers=f"{me}/followers",
        )
        note |= {
            "@context": activities.AS_CONTEXT,
            "to": [row["actor"]],
            "cc": [],
            "tag": [tag],
            "inReplyTo": call_id,
        }
        await store_and_create(
            conn,
            base_url=base_url,
            actor=group,
            obj=note,
            public=False,
            extra_recipients=[Recipient(row["inbox"], row["shared_inbox"])],
            to_followers=False,
        )
        told += 1
    log.info("pledgers_told", call=call_id, told=told)
    return told


async def send_due_reminders(pool: Pool, *, base_url: str, now: datetime) -> int:
    """Each due reminder once: a direct message to the call's pledgers."""
    sent = 0
    async with pool.acquire() as conn:
        while True:
            async with conn.transaction():
                call_id = await pledges.claim_due_reminder(conn, now)
                if call_id is None:
                    return sent
                call = await pledges.live_call(conn, call_id)
                group = (
                    None
                    if call is None
                    else await store.local_by_id(conn, call["local_actor_id"])
                )
                if call is not None and group is not None:
                    fields = dict(call["fields"])
                    await tell_pledgers(
                        conn,
                        base_url=base_url,
                        group=group,
                        call_id=call_id,
                        lines=[
                            f"A reminder: {fields['title']}.",
                            when_text(fields) + ".",
                        ],
                        now=now,
                    )
            sent += 1


async def next_reminder(pool: Pool) -> datetime | None:
    return await pledges.next_reminder(pool)


async def set_reminder(
    pool: Pool, *, call: Any, hours_before: int | None
) -> datetime | None:
    """Remind pledgers `hours_before` the call starts (None: no reminder)."""
    remind_at = None
    if hours_before is not None:
        start = datetime.fromisoformat(dict(call["fields"])["startTime"])
        remind_at = start - timedelta(hours=hours_before)
    async with pool.acquire() as conn, conn.transaction():
        await pledges.set_reminder(conn, call["id"], remind_at)
        await notify(
            conn, Channel.POLLS
        )  # the timer loop: a reminder may be due sooner
    return remind_at
