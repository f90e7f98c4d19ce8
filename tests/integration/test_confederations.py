"""Confederations across several real nodes on loopback: founding, joining by vote,
aggregation (each object announced once per replica), losing the founder, catching up
after being offline, nesting, forged votes, and capability matching."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import feedparser
import icalendar
import pytest
from aiohttp import web

from node.movement.wire import Addressing, build_object
from node.services.actors import create_actor
from tests.conftest import free_port, until
from tests.integration.nodes import Node, Nodes
from tests.integration.test_movement import CALL, OFFER
from tests.integration.test_pages import call_in
from tests.peer import Peer

pytestmark = [pytest.mark.db, pytest.mark.integration]


def charter_file(tmp_path: Path, membership: str, **extra: str) -> str:
    path = tmp_path / f"charter-{uuid.uuid4().hex[:6]}.toml"
    fields = {
        "title": "Cascadia",
        "summary": "The movements of the Cascadia bioregion.",
        "place": "Cascadia",
        "scope": "bioregion",
        "membership": membership,
        "quorum": "majority",
        **extra,
    }
    lines = [f'{k} = "{v}"' for k, v in fields.items()]
    path.write_text("\n".join(lines) + "\n")
    return str(path)


async def three_nodes(nodes: Nodes) -> tuple[Node, Node, Node]:
    return (
        await nodes.start("a", "127.0.0.2"),
        await nodes.start("b", "127.0.0.3"),
        await nodes.start("c", "127.0.0.4"),
    )


async def follow(reader: Peer, node: Node, actor: str) -> None:

    target = node.actor(actor)
    body = json.dumps(
        {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{reader.actor_id('reader')}#follows/{uuid.uuid4()}",
            "type": "Follow",
            "actor": reader.actor_id("reader"),
            "object": target,
        }
    ).encode()
    accepted = len(reader.activities("Accept"))
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{target}/inbox",
            data=body,
            headers=reader.sign_post("reader", f"{target}/inbox", body),
        ) as resp,
    ):
        assert resp.status == 202, await resp.text()
    await until(lambda: len(reader.activities("Accept")) > accepted)


def boosts(reader: Peer, object_id: str) -> list[str]:
    """Who boosted `object_id` to the reader (plain Announce of the object), one per Announce."""
    return [
        a["actor"]
        for a in reader.activities("Announce")
        if a.get("object") == object_id
    ]


async def state(node: Node, name: str) -> Any:
    """The node's own fold of the confederation's records (what `show` prints)."""
    from node.confederation.governance import state_of
    from node.storage import confederations as cstore

    conf = await cstore.by_name(node.db, name)
    assert conf is not None, f"{node.name} has no {name}"
    return await state_of(node.db, conf)


async def members_of(node: Node, name: str) -> list[str]:
    from node.storage import confederations as cstore

    conf = await cstore.by_name(node.db, name)
    return [] if conf is None else await cstore.members(node.db, conf.id)


async def wait_members(node: Node, name: str, expected: set[str]) -> None:
    async def converged() -> bool:
        return set(await members_of(node, name)) == expected

    await until(converged, timeout=10, what=f"{node.name}'s members == {expected}")


async def wait_proposal(node: Node, name: str, subject: str) -> str:
    async def open_one() -> str | None:
        return next(
            (
                p.id
                for p in (await state(node, name)).proposals.values()
                if p.subject == subject and p.state == "open"
            ),
            None,
        )

    await until(open_one, timeout=10, what=f"an open proposal about {subject}")
    return str(await open_one())


async def admit_by_vote(
    applicant: Node, through: Node, voters: list[Node], everyone: list[Node]
) -> None:
    """`applicant` asks `through`'s replica; each voter votes yes; all converge."""
    await applicant.ok("confederation", "join", f"cascadia@{through.host}")
    subject = applicant.actor("node")
    for voter in voters:
        proposal = await wait_proposal(voter, "cascadia", subject)
        await voter.ok("confederation", "vote", "cascadia", proposal, "yes")
    expected = set(await members_of(voters[0], "cascadia"))
    assert subject in expected
    for node in [*everyone, applicant]:
        await wait_members(node, "cascadia", expected)


async def test_three_nodes_vote_members_in_and_survive_losing_the_founder(
    nodes: Nodes, reader: Peer, tmp_path: Path
) -> None:
    a, b, c = await three_nodes(nodes)
    await a.found("cascadia", charter_file(tmp_path, "vote"))
    assert await members_of(a, "cascadia") == [a.actor("node")]

    # B joins through A's replica; A's vote alone is a majority of {A}
    await admit_by_vote(b, a, [a], [a])
    # C joins; the electorate is {A, B}: a majority needs both
    await c.ok("confederation", "join", f"cascadia@{a.host}")
    proposal = await wait_proposal(a, "cascadia", c.actor("node"))
    await a.ok("confederation", "vote", "cascadia", proposal, "yes")
    await asyncio.sleep(0.5)
    assert c.actor("node") not in await members_of(a, "cascadia")  # one vote of two
    await wait_proposal(b, "cascadia", c.actor("node"))
    shown = json.loads(await b.ok("confederation", "show", "cascadia"))
    short = next(p["short_id"] for p in shown["proposals"] if p["id"] == proposal)
    assert proposal.endswith(short)
    # the short id `show` prints (here a prefix of it) is enough to vote
    await b.ok("confederation", "vote", "cascadia", short[:8], "yes")
    everyone = {a.actor("node"), b.actor("node"), c.actor("node")}
    for node in (a, b, c):
        await wait_members(node, "cascadia", everyone)

    # every replica follows the other members' node actors (the mesh)
    async def mesh_targets(node: Node) -> set[str]:
        rows = await node.db.fetch(
            "SELECT target FROM following WHERE state = 'accepted'"
        )
        return {r["target"] for r in rows}

    for node in (a, b, c):
        others = everyone - {node.actor("node")}

        async def meshed(node: Node = node, others: set[str] = others) -> bool:
            return await mesh_targets(node) == others

        await until(meshed, timeout=10, what=f"{node.name}'s mesh")
        targets = await mesh_targets(node)
        assert targets == everyone - {node.actor("node")}, node.name

    # a reader follows the replica on A and the one on B; a call published on C reaches
    # the reader from each, exactly once
    await follow(reader, a, "cascadia")
    await follow(reader, b, "cascadia")
    await c.group("tenants")
    call = await c.publish("tenants", "calls", CALL | {"clusters": []})
    await until(lambda: len(boosts(reader, call["id"])) >= 2, timeout=20)
    await asyncio.sleep(1.0)  # time for any duplicate to arrive
    assert sorted(boosts(reader, call["id"])) == sorted(
        [a.actor("cascadia"), b.actor("cascadia")]
    )

    # A, the founder, is gone for good: B and C keep aggregating
    await nodes.stop(a)
    second = await c.publish(
        "tenants", "calls", CALL | {"clusters": [], "title": "Again"}
    )
    await until(
        lambda: boosts(reader, second["id"]) == [b.actor("cascadia")], timeout=20
    )

    # D joins through B's replica by the votes of B and C (a majority of {A, B, C})
    d = await nodes.start("d", "127.0.0.5")
    await d.ok("confederation", "join", f"cascadia@{b.host}")
    proposal = await wait_proposal(b, "cascadia", d.actor("node"))
    await b.ok("confederation", "vote", "cascadia", proposal, "yes")
    await wait_proposal(c, "cascadia", d.actor("node"))
    await c.ok("confederation", "vote", "cascadia", proposal, "yes")
    for node in (b, c, d):
        await wait_members(node, "cascadia", everyone | {d.actor("node")})
    # D checked the whole history, A's signatures included, without reaching A
    assert (await d.show("cascadia"))["replica"] == d.actor("cascadia")

    await d.group("mutual_aid")
    from_d = await d.publish("mutual_aid", "offers", OFFER)
    await until(
        lambda: boosts(reader, from_d["id"]) == [b.actor("cascadia")], timeout=20
    )


async def test_a_replica_that_was_offline_catches_up_from_decisions(
    nodes: Nodes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from node.runtime import worker

    a, b, c = await three_nodes(nodes)
    await a.found("cascadia", charter_file(tmp_path, "open"))
    await b.ok("confederation", "join", f"cascadia@{a.host}")
    await wait_members(b, "cascadia", {a.actor("node"), b.actor("node")})

    await nodes.stop(b)  # B is offline while C is admitted
    await c.ok("confederation", "join", f"cascadia@{a.host}")
    everyone = {a.actor("node"), b.actor("node"), c.actor("node")}
    await wait_members(a, "cascadia", everyone)
    await wait_members(c, "cascadia", everyone)

    await nodes.restart(b)  # A's delivery to B waits at least 30 s before its retry
    assert set(await members_of(b, "cascadia")) == everyone - {c.actor("node")}
    out = await b.ok("confederation", "sync", "cascadia")
    assert "1 new record(s)" in out, out
    assert set(await members_of(b, "cascadia")) == everyone
    # and B's replica now follows C, so C's objects reach it
    await until_following(b, c.actor("node"))

    # offline again while C leaves; this time B's worker catches up by itself on start
    await nodes.stop(b)
    await c.ok("confederation", "leave", "cascadia")
    await wait_members(a, "cascadia", {a.actor("node"), b.actor("node")})
    monkeypatch.setattr(worker, "CATCH_UP_FIRST", 0.1)
    await nodes.restart(b)
    await wait_members(b, "cascadia", {a.actor("node"), b.actor("node")})


async def test_nested_confederation_relays_an_object_once_whatever_the_path(
    nodes: Nodes, reader: Peer, tmp_path: Path
) -> None:
    a, b, c = await three_nodes(nodes)
    await a.found("cascadia", charter_file(tmp_path, "open"))
    await c.ok("confederation", "join", f"cascadia@{a.host}")
    await wait_members(a, "cascadia", {a.actor("node"), c.actor("node")})
    await create_actor(b.db, kind="cluster", name="housing")
    await b.found("turtle_island", charter_file(tmp_path, "open", scope="nation"))
    # cascadia (through its replica on A) is a member of turtle_island; so is C itself:
    # C's objects reach turtle_island by two paths
    await a.ok("confederation", "join", f"turtle_island@{b.host}", "--as", "cascadia")
    await c.ok("confederation", "join", f"turtle_island@{b.host}")
    await wait_members(
        b,
        "turtle_island",
        {b.actor("node"), a.actor("cascadia"), c.actor("node")},
    )
    for target in (a.actor("cascadia"), c.actor("node")):
        await until_following(b, target)
    await follow(reader, b, "turtle_island")
    # B's own cluster got a followable actor when the replica was made
    await follow(reader, b, "turtle_island-housing")

    await c.group("tenants")
    await create_actor(c.db, kind="cluster", name="housing")
    call = await c.publish("tenants", "calls", call_in(4, clusters=["housing"]))
    # it travels C -> cascadia@A -> turtle_island@B and C -> turtle_island@B
    await until(lambda: boosts(reader, call["id"]) != [], timeout=20)
    await until_announced(a, "cascadia", call["id"])
    await asyncio.sleep(1.5)  # time for the second path to arrive
    assert sorted(boosts(reader, call["id"])) == [
        b.actor("turtle_island"),
        b.actor("turtle_island-housing"),
    ]

    # the confederation-level feed, by cluster, on B
    assert await feed(b, "turtle_island", "cluster=housing") == [call["id"]]
    # the replica's page, Atom feed and calendar show it too
    async with aiohttp.ClientSession() as session:
        async with session.get(
            b.actor("turtle_island"), headers={"Accept": "text/html"}
        ) as r:
            html = await r.text()
        async with session.get(f"{b.actor('turtle_island-housing')}/calendar.ics") as r:
            calendar = icalendar.Calendar.from_ical(await r.read())
        async with session.get(f"{b.actor('turtle_island')}/feed.atom") as r:
            atom = feedparser.parse(await r.read())
    assert call["name"] in html
    assert c.actor("node") in html  # a member node
    assert [str(e["UID"]) for e in calendar.walk("VEVENT")] == [call["id"]]
    assert [e.link for e in atom.entries] == [call["id"]]
    assert await feed(b, "turtle_island", "cluster=transport") == []
    assert await feed(b, "turtle_island", "kind=call") == [call["id"]]
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{b.url}/api/v1/confederations") as r,
    ):
        listed = (await r.json())["items"]
    assert [(c["name"], c["replica"]) for c in listed] == [
        ("turtle_island", b.actor("turtle_island"))
    ]
    assert set(listed[0]["members"]) == {
        b.actor("node"),
        a.actor("cascadia"),
        c.actor("node"),
    }

    # a cluster B has no actor for yet gets one with its first object; the housing
    # actor does not announce it
    await create_actor(c.db, kind="cluster", name="transport")
    bus = await c.publish("tenants", "calls", CALL | {"clusters": ["transport"]})
    await until(lambda: boosts(reader, bus["id"]) != [], timeout=20)
    await asyncio.sleep(1)
    assert boosts(reader, bus["id"]) == [b.actor("turtle_island")]
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{b.url}/api/v1/confederations/turtle_island") as r,
    ):
        assert (await r.json())["cluster_actors"] == {
            "housing": b.actor("turtle_island-housing"),
            "transport": b.actor("turtle_island-transport"),
        }
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            b.actor("turtle_island-transport"),
            headers=reader.sign_get("reader", b.actor("turtle_island-transport")),
        ) as r,
    ):
        document = await r.json()
    assert (document["type"], document["cluster"]) == ("Group", "transport")
    assert document["confederation"] == listed[0]["id"]


async def feed(node: Node, confederation: str, query: str = "") -> list[str]:
    """The ids in the confederation's feed on `node` (`query`: kind=…, cluster=…)."""
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            f"{node.url}/api/v1/confederations/{confederation}/objects?{query}"
        ) as r,
    ):
        assert r.status == 200
        return [item["id"] for item in (await r.json())["items"]]


async def until_following(node: Node, target: str) -> None:
    await until(
        lambda: node.db.fetchval(
            "SELECT 1 FROM following WHERE target = $1 AND state = 'accepted'", target
        ),
        timeout=10,
        what=f"{node.name} following {target}",
    )


async def until_announced(node: Node, replica: str, object_id: str) -> None:
    await until(
        lambda: node.db.fetchval(
            """SELECT 1 FROM confederation_announced a JOIN local_actors l
                 ON l.id = a.replica_actor_id WHERE l.name = $1 AND a.object_id = $2""",
            replica,
            object_id,
        ),
        timeout=10,
        what=f"{replica} on {node.name} announcing {object_id}",
    )


def hostile_replica(base: str, conf_id: str, items: list[Any]) -> Any:
    """A server posing as a replica whose decisions carry forged records."""
    from aiohttp import web

    actor = f"{base}/actors/evil"
    decisions = f"{actor}/decisions"

    async def document(request: web.Request) -> web.Response:
        return web.json_response(
            {
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": actor,
                "type": "Group",
                "preferredUsername": "evil",
                "inbox": f"{actor}/inbox",
                "confederation": conf_id,
                "decisions": decisions,
            },
            content_type="application/activity+json",
        )

    async def history(request: web.Request) -> web.Response:
        if request.query.get("page") == "1":
            doc = {
                "id": f"{decisions}?page=1",
                "type": "OrderedCollectionPage",
                "orderedItems": items,
            }
        else:
            doc = {
                "id": decisions,
                "type": "OrderedCollection",
                "first": f"{decisions}?page=1",
            }
        return web.json_response(
            {"@context": "https://www.w3.org/ns/activitystreams", **doc},
            content_type="application/activity+json",
        )

    app = web.Application()
    app.router.add_get("/actors/evil", document)
    app.router.add_get("/actors/evil/decisions", history)
    return app


async def test_forged_and_replayed_votes_change_nothing(
    nodes: Nodes, reader: Peer, tmp_path: Path, aiohttp_server: Any
) -> None:
    from cryptography.hazmat.primitives.asymmetric import ed25519

    from federation import proofs
    from node.confederation import records as rec
    from node.storage import confederations as cstore

    a, b, c = await three_nodes(nodes)
    await a.found("cascadia", charter_file(tmp_path, "vote"))
    conf = await cstore.by_name(a.db, "cascadia")
    assert conf is not None
    await b.ok("confederation", "join", f"cascadia@{a.host}")
    first = await wait_proposal(a, "cascadia", b.actor("node"))

    # a non-member signs a vote (proof and HTTP signature both its own) and posts it to A
    outsider = ed25519.Ed25519PrivateKey.generate()
    forged = proofs.sign(
        rec.vote(
            id=f"{reader.actor_id('reader')}#vote-{uuid.uuid4()}",
            actor=reader.actor_id("reader"),
            confederation=conf.id,
            proposal=first,
            yes=True,
            published=datetime.now(UTC),
        ),
        outsider,
        verification_method=f"{reader.actor_id('reader')}#ed25519-key",
        created=datetime.now(UTC),
    )
    body = json.dumps(forged).encode()
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{a.url}/inbox",
            data=body,
            headers=reader.sign_post("reader", f"{a.url}/inbox", body),
        ) as resp,
    ):
        assert resp.status == 202
    await until_processed(a, forged["id"])
    assert (await state(a, "cascadia")).proposals[first].yes == set()
    assert not await a.db.fetchval(
        "SELECT 1 FROM confederation_records WHERE id = $1", forged["id"]
    )

    # A's real vote admits B; then C asks, and the electorate is {A, B}
    await a.ok("confederation", "vote", "cascadia", first, "yes")
    await wait_members(b, "cascadia", {a.actor("node"), b.actor("node")})
    await c.ok("confederation", "join", f"cascadia@{a.host}")
    second = await wait_proposal(b, "cascadia", c.actor("node"))

    # a replica replays A's vote on the first proposal as a vote on the second one
    real_vote = await a.db.fetchval(
        "SELECT body FROM confederation_records WHERE type = 'Accept'"
    )
    replayed = dict(real_vote) | {
        "object": second,
        "id": f"{a.actor('node')}/activities/replayed",
    }
    history = [conf.charter, *await cstore.records(a.db, conf.id), replayed, forged]
    port = free_port("127.0.0.10")
    await aiohttp_server(
        hostile_replica(f"http://127.0.0.10:{port}", conf.id, history),
        host="127.0.0.10",
        port=port,
    )
    out = await b.ok(
        "confederation",
        "sync",
        "cascadia",
        "--from",
        f"http://127.0.0.10:{port}/actors/evil",
    )
    assert "0 new record(s)" in out, out
    after = await state(b, "cascadia")
    assert after.proposals[second].yes == set()
    assert after.members == {a.actor("node"), b.actor("node")}
    for record_id in (replayed["id"], forged["id"]):
        assert not await b.db.fetchval(
            "SELECT 1 FROM confederation_records WHERE id = $1", record_id
        )


async def until_processed(node: Node, activity_id: str) -> None:
    await until(
        lambda: node.db.fetchval(
            "SELECT 1 FROM inbox WHERE activity_id = $1 AND processed_at IS NOT NULL",
            activity_id,
        ),
        timeout=10,
        what=f"{activity_id} processed on {node.name}",
    )


async def test_an_offer_of_legal_support_on_b_ranks_first_for_a_call_on_c_that_needs_it(
    nodes: Nodes, tmp_path: Path
) -> None:
    b = await nodes.start("b", "127.0.0.3")
    c = await nodes.start("c", "127.0.0.4")
    await b.found("cascadia", charter_file(tmp_path, "open"))
    await c.ok("confederation", "join", f"cascadia@{b.host}")
    await until_following(c, b.actor("node"))
    await until_following(b, c.actor("node"))

    await b.group("lawyers")
    await b.group("media")
    training = await b.publish(
        "media",
        "offers",
        OFFER
        | {
            "title": "Press trainings",
            "capability": "communications",
            "areaServed": "Seattle",
            "availability": "Saturday mornings",
        },
    )
    legal = await b.publish(
        "lawyers",
        "offers",
        OFFER
        | {"areaServed": "Seattle and King County", "availability": "weekday evenings"},
    )
    for offer in (training, legal):
        await until_known(c, offer["id"])

    await c.group("tenants")
    call = await c.publish("tenants", "calls", CALL | {"clusters": []})
    call_path = call["id"].rsplit("/", 1)[1]
    status, ranked = await c.api("GET", f"/api/v1/calls/{call_path}/matches", "tenants")
    assert status == 200, ranked
    assert [m["offer"] for m in ranked["matches"]] == [legal["id"], training["id"]]
    best = ranked["matches"][0]
    assert best["actor"] == b.actor("lawyers")
    # legal is needed; "Seattle" is in the call's place; Saturday 18:00 is not a weekday
    assert best["score"] == {"kind": 1, "area": 1, "availability": 0}

    # the call's page shows who can help, by name; /offers is the capability directory
    async with aiohttp.ClientSession() as session:

        async def page(url: str) -> tuple[int, str]:
            async with session.get(url, headers={"Accept": "text/html"}) as resp:
                return resp.status, await resp.text()

        _s, html = await page(call["id"])
        helping = html[html.index('id="helping"') :]
        assert legal["id"] in helping
        assert training["id"] not in helping  # communications: not needed by the call
        assert f"@lawyers@{b.host}" in helping
        _s, listed = await page(f"{c.url}/offers")
        assert legal["id"] in listed
        assert training["id"] in listed
        _s, only_legal = await page(f"{c.url}/offers?capability=legal")
        assert legal["id"] in only_legal
        assert training["id"] not in only_legal
        _s, by_area = await page(f"{c.url}/offers?area=king+county")
        assert legal["id"] in by_area
        assert training["id"] not in by_area
        status, _html = await page(f"{c.url}/offers?capability=bribery")
        assert status == 400

        # C's home has the confederation's offers too, by name and handle, not URL
        _s, home = await page(f"{c.url}/")
        offers = home[home.index('id="offers"') : home.index('id="confs"')]
        assert legal["id"] in offers
        assert training["id"] in offers
        assert f"@lawyers@{b.host}" in offers
        assert f">{b.actor('lawyers')}<" not in offers
        # the replica's page names its member nodes
        _s, replica = await page(f"{c.url}/actors/cascadia")
        assert f"@node@{b.host}" in replica
        assert f"<li>{b.actor('node')}</li>" not in replica

    # the call's admin page shows them too, with a form to write to each
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar) as admin:
        async with admin.post(
            f"{c.url}/admin/login", data={"token": c.tokens["tenants"]}
        ) as resp:
            assert resp.status == 200
        async with admin.get(f"{c.url}/admin/call/{call_path}/pledges") as resp:
            html = await resp.text()
        assert legal["id"] in html
        assert 'action="contact"' in html

    # the group that posted the call writes to the offering group, and only to it
    status, sent = await c.api(
        "POST",
        f"/api/v1/calls/{call_path}/contact",
        "tenants",
        json={"offer": legal["id"], "text": "Can you send two observers on Saturday?"},
    )
    assert status == 201, sent
    await until(
        lambda: b.db.fetchval("SELECT 1 FROM remote_objects WHERE id = $1", sent["id"]),
        timeout=10,
        what="the message on B",
    )
    row = await b.db.fetchrow(
        "SELECT actor, in_reply_to, public, body FROM remote_objects WHERE id = $1",
        sent["id"],
    )
    assert row is not None
    assert row["actor"] == c.actor("tenants")
    assert row["in_reply_to"] == legal["id"]
    assert row["public"] is False
    assert row["body"]["to"] == [b.actor("lawyers")]
    assert "two observers" in row["body"]["content"]
    # the offering group reads it in its inbox, as a direct message about its offer ...
    status, inbox = await b.api("GET", "/api/v1/inbox?kind=direct", "lawyers")
    assert status == 200, inbox
    [item] = inbox["items"]
    assert item["object"]["id"] == sent["id"]
    assert item["about"] == {"id": legal["id"], "title": OFFER["title"]}
    assert item["actor"]["handle"] == f"@tenants@{c.host}"
    assert (await b.api("GET", "/api/v1/inbox", "media"))[1]["items"] == []
    # ... and answers the sender alone; the answer lands in the tenants' inbox on C
    status, answer = await b.api(
        "POST",
        f"/api/v1/inbox/{item['id']}/reply",
        "lawyers",
        json={"text": "Yes: two observers at 17:30.", "visibility": "direct"},
    )
    assert status == 201, answer
    assert answer["object"]["to"] == [c.actor("tenants")]
    assert answer["object"]["cc"] == []

    async def answered() -> Any:
        return (await c.api("GET", "/api/v1/inbox", "tenants"))[1]["items"]

    await until(answered, timeout=10, what="the answer in the tenants' inbox on C")
    [back] = await answered()
    assert back["kind"] == "direct"
    assert back["object"]["id"] == answer["id"]
    assert "two observers at 17:30" in back["object"]["content"]
    assert back["about"] == {"id": sent["id"], "title": None}
    # no one else got it: the tenants' followers (none) and no relay, one delivery only
    assert (
        await c.db.fetchval(
            "SELECT count(*) FROM outbox WHERE object_id = $1 AND NOT public",
            sent["id"],
        )
        == 1
    )

    # bad input: a clear 4xx, nothing stored
    before = await c.db.fetchval("SELECT count(*) FROM objects")
    status, error = await c.api(
        "POST",
        f"/api/v1/calls/{call_path}/contact",
        "tenants",
        json={"offer": legal["id"]},
    )
    assert status == 422
    assert error["fields"] == [{"field": "text", "message": "is required"}]
    status, _error = await c.api(
        "POST",
        f"/api/v1/calls/{call_path}/contact",
        "tenants",
        json={"offer": "https://nowhere.example/offer", "text": "hi"},
    )
    assert status == 404
    assert await c.db.fetchval("SELECT count(*) FROM objects") == before


async def until_known(node: Node, object_id: str) -> None:
    await until(
        lambda: node.db.fetchval(
            "SELECT 1 FROM remote_objects WHERE id = $1 AND kind = 'offer'", object_id
        ),
        timeout=15,
        what=f"{node.name} knowing {object_id}",
    )


async def _post_as(node: Node, name: str, inbox: str, activity: dict[str, Any]) -> None:
    """POST `activity` to `inbox`, signed with the key of `node`'s local actor `name`."""
    from federation.sig.knock import sign
    from federation.types import HttpRequest
    from node.services.actors import signing_key

    key = await signing_key(node.db, node.url, name)
    body = json.dumps(activity).encode()
    request = HttpRequest.build(
        "POST", inbox, {"content-type": "application/activity+json"}, body
    )
    signed = sign(request, key, "cavage", datetime.now(UTC))
    headers = {k: v for k, v in signed.headers.items() if k != "host"}
    async with (
        aiohttp.ClientSession() as session,
        session.post(inbox, data=body, headers=headers) as resp,
    ):
        assert resp.status == 202, await resp.text()


async def test_a_plain_announce_waits_for_its_sibling_create_instead_of_fetching(
    nodes: Nodes, tmp_path: Path, aiohttp_server: Any
) -> None:
    a, b = await nodes.start("a", "127.0.0.2"), await nodes.start("b", "127.0.0.3")
    await a.found("cascadia", charter_file(tmp_path, "open"))
    await b.ok("confederation", "join", f"cascadia@{a.host}")
    await wait_members(a, "cascadia", {a.actor("node"), b.actor("node")})
    # an object B never serves (a fetch of it is a 404): only the Announce{Create} has it
    object_id = f"{b.actor('node')}/objects/{uuid.uuid4()}"
    me = b.actor("node")
    vision = build_object(
        "vision",
        {
            "title": "Rivers run free",
            "summary": "Dams come down.",
            "body": "Soon.",
            "horizon": 20,
            "place": "Cascadia",
        },
        Addressing(
            object_id=object_id,
            actor=me,
            followers=f"{me}/followers",
            clusters={},
            published=datetime.now(UTC),
        ),
    )
    plain = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{me}/announces/{uuid.uuid4()}",
        "type": "Announce",
        "actor": me,
        "object": object_id,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
    }
    create = {
        "id": f"{object_id}/activity",
        "type": "Create",
        "actor": me,
        "object": vision,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
    }
    wrapped = {**plain, "id": f"{me}/announces/{uuid.uuid4()}", "object": create}
    # B's node actor's earlier activity keeps A busy (a fetch that waits on `gate`), so the
    # two Announces are both stored before either is applied, the plain one first
    gate = asyncio.Event()

    async def slow(_request: web.Request) -> web.Response:
        await gate.wait()
        return web.json_response({"error": "gone"}, status=404)

    app = web.Application()
    app.router.add_get("/users/slow", slow)
    slow_server = await aiohttp_server(app, host="127.0.0.1")
    move = {
        **plain,
        "id": f"{me}/moves/{uuid.uuid4()}",
        "type": "Move",
        "object": me,
        "target": str(slow_server.make_url("/users/slow")),
    }
    await _post_as(b, "node", f"{a.url}/inbox", move)
    await _post_as(b, "node", f"{a.url}/inbox", plain)
    await _post_as(b, "node", f"{a.url}/inbox", wrapped)
    gate.set()
    await until_announced(a, "cascadia", object_id)
    rows = await a.db.fetch(
        "SELECT activity_id, attempts, error, processed_at IS NOT NULL AS done FROM inbox WHERE activity_id = ANY($1::text[])",
        [plain["id"], wrapped["id"]],
    )
    assert sorted(
        (r["activity_id"], r["attempts"], r["error"], r["done"]) for r in rows
    ) == sorted([(plain["id"], 0, None, True), (wrapped["id"], 0, None, True)]), (
        "no fetch was tried (it would have failed with a 404)"
    )
