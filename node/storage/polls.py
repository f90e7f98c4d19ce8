"""Poll votes on local proposals: the tallies (who voted is never served)."""

from __future__ import annotations

from typing import Any

from node.storage.db import Connection


async def count_votes(conn: Connection, question_id: str) -> tuple[dict[str, int], int]:
    """A proposal's tallies per option and its number of voters."""
    tallies = {
        r["choice"]: r["n"]
        for r in await conn.fetch(
            """SELECT c AS choice, count(*) AS n FROM poll_votes, unnest(choices) c
               WHERE question_id = $1 GROUP BY c""",
            question_id,
        )
    }
    voters: int = await conn.fetchval(
        "SELECT count(*) FROM poll_votes WHERE question_id = $1", question_id
    )
    return tallies, voters


async def add(
    conn: Connection,
    *,
    question_id: str,
    voter: str,
    choice: str,
    activity_id: str | None,
    multiple: bool,
) -> bool:
    """Count `voter`'s `choice` (oneOf: the first vote stands; anyOf: each option once per
    voter); False when it was not counted."""
    done = await conn.execute(
        """INSERT INTO poll_votes (question_id, voter, choices, activity_id) VALUES ($1, $2, ARRAY[$3], $4)
           ON CONFLICT (question_id, voter) DO UPDATE SET choices = array_append(poll_votes.choices, $3)
           WHERE $5 AND NOT $3 = ANY(poll_votes.choices)""",
        question_id,
        voter,
        choice,
        activity_id,
        multiple,
    )
    return not done.endswith(" 0")


async def refuse(
    conn: Connection,
    *,
    question_id: str,
    voter: str,
    reason: str,
    activity_id: str | None,
) -> None:
    await conn.execute(
        """INSERT INTO refused_votes (question_id, voter, reason, activity_id)
           VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING""",
        question_id,
        voter,
        reason,
        activity_id,
    )


async def count_refused(conn: Connection, question_id: str) -> int:
    return int(
        await conn.fetchval(
            "SELECT count(*) FROM refused_votes WHERE question_id = $1", question_id
        )
    )


async def remove_votes_of(
    conn: Connection, *, voter: str, question_ids: list[str]
) -> int:
    done = await conn.execute(
        "DELETE FROM poll_votes WHERE voter = $1 AND question_id = ANY($2::text[])",
        voter,
        question_ids,
    )
    return int(done.rsplit(" ", 1)[1])


async def on_member_node(conn: Connection, host: str) -> bool:
    """Whether `host` serves a member node of a confederation this node takes part in."""
    return bool(
        await conn.fetchval(
            "SELECT 1 FROM confederation_members WHERE split_part(member, '/', 3) = $1 LIMIT 1",
            host,
        )
    )


async def count_member_groups(conn: Connection) -> int:
    """The groups we know of on our confederations' member nodes (other than ours)."""
    return int(
        await conn.fetchval(
            """SELECT count(*) FROM remote_actors a WHERE a.type = 'Group'
                 AND a.document->>'kind' = 'group'
                 AND EXISTS (SELECT 1 FROM confederation_members m
                             WHERE split_part(m.member, '/', 3) = a.host)"""
        )
    )


async def proposal_state(conn: Connection, question_id: str) -> Any:
    """A live local proposal's author, fields and whether it closed."""
    return await conn.fetchrow(
        """SELECT local_actor_id, fields, closed_at FROM objects
           WHERE id = $1 AND kind = 'proposal' AND deleted_at IS NULL""",
        question_id,
    )
