"""Poll votes on local proposals: the tallies (who voted is never served)."""

from __future__ import annotations

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
