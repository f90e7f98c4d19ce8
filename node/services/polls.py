"""Votes on local proposals (FEP-9967 / Mastodon polls): a `Create{Note}` whose `name` is an
option and whose `inReplyTo` is the Question. Counted once per actor (one option for
`oneOf`, each option once for `anyOf`), ignored after `endTime`; the tallies go out as an
`Update` of the Question. Who voted is never served."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import structlog

from federation.delivery.plan import recipient_of
from federation.inbox import IncomingActivity
from federation.vocab.activities import AS_CONTEXT, iso
from federation.vocab.read import as_list, id_of
from node.domain.actors import LocalActor, actor_url
from node.services import electorate, movement
from node.services.context import Context
from node.services.publish import store_and_create
from node.storage import actors as store, objects, polls as poll_votes
from node.storage.db import Connection, Pool

log = structlog.get_logger(__name__)


async def is_vote(
    conn: Connection, obj: dict[str, Any], in_reply_to: str | None
) -> bool:
    if (
        in_reply_to is None
        or not isinstance(obj.get("name"), str)
        or obj.get("content")
    ):
        return False
    return await objects.is_live_proposal(conn, in_reply_to)


class VoteRefusedError(ValueError):
    """The vote is not counted: the poll is closed, no such option, outside the electorate,
    or already cast."""


async def record_vote(
    conn: Connection, act: IncomingActivity, obj: dict[str, Any], ctx: Context
) -> None:
    try:
        await count_vote(
            conn,
            base_url=ctx.base_url,
            question_id=str(obj["inReplyTo"]),
            voter=act.actor,
            choice=obj["name"],
            activity_id=act.id,
            now=ctx.now(),
        )
    except VoteRefusedError as exc:
        log.info("vote_ignored", question=obj["inReplyTo"], reason=str(exc))


async def count_vote(
    conn: Connection,
    *,
    base_url: str,
    question_id: str,
    voter: str,
    choice: str,
    activity_id: str | None,
    now: datetime,
) -> None:
    """Count one vote on a local proposal and send the new tallies, in the caller's
    transaction.

    Raises:
        VoteRefusedError: not counted (why); a vote from outside the electorate is kept
            apart as refused.
    """
    owner = await objects.live_audience(conn, question_id)
    fields = await objects.lock_fields(conn, question_id)
    if fields is None or owner is None:
        msg = "no such proposal"
        raise VoteRefusedError(msg)
    if now >= datetime.fromisoformat(fields["endTime"]):
        msg = "the poll is closed"
        raise VoteRefusedError(msg)
    if choice not in fields["options"]:
        msg = "not an option"
        raise VoteRefusedError(msg)
    why = await electorate.refusal(
        conn,
        base_url=base_url,
        owner_id=owner["local_actor_id"],
        fields=fields,
        voter=voter,
    )
    if why is not None:
        await poll_votes.refuse(
            conn,
            question_id=question_id,
            voter=voter,
            reason=why,
            activity_id=activity_id,
        )
        raise VoteRefusedError(why)
    # oneOf: the first vote stands; anyOf: each option once per voter
    if not await poll_votes.add(
        conn,
        question_id=question_id,
        voter=voter,
        choice=choice,
        activity_id=activity_id,
        multiple=bool(fields.get("multiple")),
    ):
        msg = "already voted"
        raise VoteRefusedError(msg)
    await republish_proposal(conn, base_url=base_url, object_id=question_id, now=now)
    log.info("vote_counted", question=question_id)


async def republish_proposal(
    conn: Connection, *, base_url: str, object_id: str, now: datetime
) -> None:
    """Send a proposal's current tallies (and `closed`, once past `endTime`) as an Update,
    inside the caller's transaction."""
    row = await objects.live_proposal(conn, object_id)
    actor = None if row is None else await store.local_by_name(conn, row["name"])
    if row is None or actor is None:
        msg = f"no local proposal {object_id}"
        raise movement.ObjectNotFoundError(msg)
    await movement.republish(
        conn,
        base_url=base_url,
        actor=actor,
        object_id=object_id,
        kind="proposal",
        data=row["fields"],
        clusters=await movement.clusters_named(conn, list(row["clusters"])),
        published=row["published_at"],
        public=row["public"],
        now=now,
        seen_in=list(row["clusters"]),
        edit=False,
    )


async def close_due_polls(pool: Pool, *, base_url: str, now: datetime) -> int:
    """Publish the final Update (with `closed`) of every proposal whose `endTime` has passed;
    each is closed once. Returns how many were closed."""
    closed = 0
    async with pool.acquire() as conn:
        while True:
            async with conn.transaction():
                object_id = await objects.claim_due_proposal(conn, now)
                if object_id is None:
                    return closed
                await republish_proposal(
                    conn, base_url=base_url, object_id=object_id, now=now
                )
                await objects.mark_closed(conn, object_id, now)
            closed += 1
            log.info("poll_closed", object_id=object_id)


async def next_poll_end(pool: Pool) -> datetime | None:
    """When the next open proposal closes."""
    return await objects.next_proposal_end(pool)


async def vote_as(
    pool: Pool,
    *,
    base_url: str,
    remote: Any,
    group: LocalActor,
    question_id: str,
    choice: str,
    now: datetime,
) -> str:
    """`group` votes: on a local proposal, counted at once ("counted"); on another node's
    Question, sent to its author as a poll vote ("sent").

    Raises:
        VoteRefusedError: not counted here, or not a question with that option there.
        FederationError: the question's server cannot be reached.
    """
    me = actor_url(base_url, group)
    refused: VoteRefusedError | None = None
    async with pool.acquire() as conn, conn.transaction():
        local = await objects.is_live_proposal(conn, question_id)
        if local:
            try:
                await count_vote(
                    conn,
                    base_url=base_url,
                    question_id=question_id,
                    voter=me,
                    choice=choice,
                    activity_id=None,
                    now=now,
                )
            except VoteRefusedError as exc:
                refused = exc  # a refusal is kept apart: this transaction commits it
    if refused is not None:
        raise refused
    if local:
        return "counted"
    question = (await remote.fetch_object(question_id)).document
    options = [
        o.get("name")
        for o in as_list(question.get("anyOf") or question.get("oneOf"))
        if isinstance(o, dict)
    ]
    author = id_of(question.get("attributedTo"))
    if question.get("type") != "Question" or author is None or choice not in options:
        msg = "not a question with that option"
        raise VoteRefusedError(msg)
    if question.get("closed") or (
        isinstance(question.get("endTime"), str)
        and datetime.fromisoformat(question["endTime"]) <= now
    ):
        msg = "the poll is closed"
        raise VoteRefusedError(msg)
    doc = await remote.fetch_actor(author)
    vote = {
        "@context": AS_CONTEXT,
        "id": f"{me}/objects/{uuid.uuid4()}",
        "type": "Note",
        "name": choice,
        "attributedTo": me,
        "inReplyTo": question_id,
        "to": [author],
        "cc": [],
        "published": iso(now),
    }
    async with pool.acquire() as conn, conn.transaction():
        await store_and_create(
            conn,
            base_url=base_url,
            actor=group,
            obj=vote,
            public=False,
            extra_recipients=[recipient_of(doc)],
            to_followers=False,
        )
    return "sent"


async def summary(pool: Pool, question_id: str) -> dict[str, Any] | None:
    """Tallies, voters, who may vote and how many, the outcome once closed (public), and
    how many votes were refused (for the organisers); None for no live local proposal."""
    async with pool.acquire() as conn:
        state = await poll_votes.proposal_state(conn, question_id)
        if state is None:
            return None
        owner_id, fields = state["local_actor_id"], dict(state["fields"])
        closed = state["closed_at"] is not None
        tallies, voters = await poll_votes.count_votes(conn, question_id)
        eligible = await electorate.eligible(conn, owner_id=owner_id, fields=fields)
        refused = await poll_votes.count_refused(conn, question_id)
    counts = {option: tallies.get(option, 0) for option in fields["options"]}
    top = max(counts.values(), default=0)
    leaders = [o for o, n in counts.items() if n == top and top > 0]
    return {
        "electorate": fields.get("electorate", "anyone"),
        "tallies": counts,
        "voters": voters,
        "eligible": eligible,
        "refused": refused,
        "closed": closed,
        "outcome": None
        if not closed
        else (leaders[0] if len(leaders) == 1 else ("tie" if leaders else "no votes")),
    }
