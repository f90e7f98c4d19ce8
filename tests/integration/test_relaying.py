"""What a follower of several of our relaying actors receives: a published object reaches
each remote inbox from the author (Create) and, where someone there follows the node or a
cluster of the object and not the author, one boost per relaying actor they follow — never a
boost to an inbox where everyone has it already."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from aiohttp import web

from node.runtime import appkeys
from tests.conftest import until
from tests.integration.test_movement import VISION, _publish, node, token  # noqa: F401

pytestmark = [pytest.mark.db, pytest.mark.integration]


async def _server(aiohttp_server: Any, got: Counter[tuple[str, str]]) -> str:
    async def shared_inbox(request: web.Request) -> web.Response:
        activity = await request.json()
        got[activity["type"], activity["actor"].rsplit("/", 1)[-1]] += 1
        return web.Response(status=202)

    app = web.Application()
    app.router.add_post("/inbox", shared_inbox)
    server = await aiohttp_server(app, host="127.0.0.3")
    return f"http://127.0.0.3:{server.port}"


async def _follows(pool: Any, base: str, who: str, targets: list[str]) -> None:
    for target in targets:
        await pool.execute(
            """INSERT INTO followers (local_actor_id, follower, state, inbox, shared_inbox)
               SELECT id, $2, 'accepted', $3, $4 FROM local_actors WHERE name = $1""",
            target,
            f"{base}/users/{who}",
            f"{base}/users/{who}/inbox",
            f"{base}/inbox",
        )


async def test_followers_of_the_author_node_and_cluster_get_the_object_once(
    node: Any,  # noqa: F811
    token: str,  # noqa: F811
    aiohttp_server: Any,
) -> None:
    pool = node.app[appkeys.DB]
    everyone: Counter[tuple[str, str]] = Counter()
    some: Counter[tuple[str, str]] = Counter()
    one = await _server(aiohttp_server, everyone)  # all here follow the author too
    two = await _server(aiohttp_server, some)  # here one follows only the cluster
    await _follows(pool, one, "alice", ["tenants", "node", "housing"])
    await _follows(pool, one, "bob", ["tenants", "housing"])
    await _follows(pool, two, "cy", ["node", "housing"])
    await _follows(pool, two, "di", ["housing"])
    resp = await _publish(node, token, "visions", VISION)  # clusters: housing
    assert resp.status == 201, await resp.text()
    await until(lambda: pool.fetchval("SELECT count(*) = 0 FROM deliveries"))
    # one: the Create only — every follower there follows the author
    assert everyone == Counter({("Create", "tenants"): 1})
    # two: nobody follows the author; cy gets the node's boost, di only follows the
    # cluster, so the cluster boosts there too (each boost is FEP-1b12's Announce{Create}
    # and a plain Announce{object}: two activities)
    assert some == Counter({("Announce", "node"): 2, ("Announce", "housing"): 2})
