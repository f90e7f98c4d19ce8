"""Votes on local proposals (FEP-9967 / Mastodon polls): a `Create{Note}` whose `name` is an
option and whose `inReplyTo` is the Question. Counted once per actor (one option for
`oneOf`, each option once for `anyOf`), ignored after `endTime`; the tallies go out as an
`Update` of the Question. Who voted is never served."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import structlog

from federation.inbox import IncomingActivity
from node.clock import utcnow
from node.services import movement
from node.storage.db import Connection

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
    return bool(
        await conn.fetchval(
            "SELECT 1 FROM objects WHERE id = $1 AND kind = 'proposal' AND deleted_at IS NULL",
            in_reply_to,
        )
    )


async def record_vote(
    conn: Connection, act: IncomingActivity, obj: dict[str, Any], *, base_url: str
) -> None:
    question_id = str(obj["inReplyTo"])
    row = await conn.fetchrow(
        "SELECT fields FROM objects WHERE id = $1 FOR UPDATE", question_id
    )
    if row is None:
        return
    fields: dict[str, Any] = row["fields"]
    choice = obj["name"]
    now = utcnow()
    if now >= datetime.fromisoformat(fields["endTime"]):
        log.info("vote_ignored", question=question_id, reason="the poll is closed")
        return
    if choice not in fields["options"]:
        log.info("vote_ignored", question=question_id, reason="not an option")
        return
    # oneOf: the first vote stands; anyOf: each option once per voter
    done = await conn.execute(
        """INSERT INTO poll_votes (question_id, voter, choices, activity_id) VALUES ($1, $2, ARRAY[$3], $4)
           ON CONFLICT (question_id, voter) DO UPDATE SET choices = array_append(poll_votes.choices, $3)
           WHERE $5 AND NOT $3 = ANY(poll_votes.choices)""",
        question_id,
        act.actor,
        choice,
        act.id,
        bool(fields.get("multiple")),
    )
    if done.endswith(" 0"):
        log.info("vote_ignored", question=question_id, reason="already voted")
        return
    await movement.republish_proposal(
        conn, base_url=base_url, object_id=question_id, now=now
    )
    log.info("vote_counted", question=question_id)
