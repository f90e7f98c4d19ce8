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
