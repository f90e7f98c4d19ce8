"""Fedify (npm: 1.10.12 on Node 22, and 1.5.9), the strictest JSON-LD reader of the
fediverse, as its own process: it looks up and parses every actor and object kind we serve,
expands them in safe mode with only the contexts it ships, verifies our FEP-8b32 proofs and
our HTTP signatures (draft-cavage, and RFC 9421 when a server asks for it), follows a group
and a cluster and receives what they send, and replies and votes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from node.movement.schemas import context_terms
from tests.conftest import until
from tests.interop.peers import (
    FEDIFY_VERSIONS,
    FedifyServer,
    ServedNode,
    _trusting,
    fedify_server,
)

pytestmark = [pytest.mark.db, pytest.mark.interop]
FEDIFY_HOST = "127.0.0.30"
CLUSTER_READER_HOST = "127.0.0.31"  # a second Fedify server, following only the cluster
VERSIONS = list(FEDIFY_VERSIONS)


def _soon(days: int) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).replace(microsecond=0).isoformat()


def authoring() -> dict[str, tuple[str, dict[str, Any]]]:
    """One object of each kind and AS type: name -> (kind, authoring JSON)."""
    return {
        "vision": (
            "vision",
            {
                "title": "A city where no one is displaced",
                "summary": "Social housing for half the city.",
                "body": "Because homes are for living.",
                "horizon": 20,
                "place": "Seattle",
                "clusters": ["housing"],
            },
        ),
        "event call": (
            "call",
            {
                "title": "Pack the council hearing",
                "body": "We meet at the steps.",
                "startTime": _soon(4),
                "endTime": _soon(5),
                "timezone": "UTC",
                "location": {"name": "City Hall", "address": "600 4th Ave"},
                "urgency": "high",
                "asks": ["turnout", "capabilities"],
                "capabilitiesNeeded": ["legal", "medic"],
                "clusters": ["housing"],
            },
        ),
        "comment call": (
            "call",
            {
                "title": "Comment on the zoning plan",
                "body": "The city takes comments until the deadline.",
                "deadline": _soon(6),
                "timezone": "UTC",
                "urgency": "normal",
                "asks": ["public-comment"],
            },
        ),
        "offer": (
            "offer",
            {
                "title": "Know-your-rights trainings",
                "capability": "legal",
                "body": "Two lawyers, evenings.",
                "areaServed": "King County",
                "availability": "weekday evenings",
                "howToAsk": "write to legal@tenants.example",
            },
        ),
        "proposal": (
            "proposal",
            {
                "title": "Join the regional confederation?",
                "body": "Simple majority.",
                "options": ["Yes", "No", "Later"],
                "endTime": _soon(10),
            },
        ),
    }


@dataclass
class World:
    node: ServedNode
    token: str
    objects: dict[str, str] = field(default_factory=dict)  # name -> object id

    def actor(self, name: str) -> str:
        return f"{self.node.url}/actors/{name}"

    async def api(self, method: str, path: str, data: Any = None) -> Any:
        async with (
            aiohttp.ClientSession(connector=_trusting(self.node.env)) as session,
            session.request(
                method,
                self.node.url + path,
                json=data,
                headers={"Authorization": f"Bearer {self.token}"},
            ) as resp,
        ):
            assert resp.status < 300, await resp.text()
            return await resp.json(content_type=None) if resp.status != 204 else None

    async def publish(self, name: str) -> str:
        kind, data = authoring()[name]
        created = await self.api("POST", f"/api/v1/{kind}s", data)
        self.objects[name] = created["object"]["id"]
        return str(created["object"]["id"])


async def world(served: Any, tmp_path: Path, *, objects: bool = True) -> World:
    """A node with group `tenants` (and its token), cluster `housing`, a confederation
    `cascadia` with its cluster `housing`, and (with `objects`) one object of each kind."""
    node = await served("fedify")
    await node.cli("group", "create", "tenants", "--display-name", "Tenants Union")
    await node.cli("cluster", "create", "housing")
    token = (
        await node.cli("token", "create", "--actor", "tenants", "--label", "t")
    ).splitlines()[-1]
    charter = tmp_path / "charter.toml"
    charter.write_text(
        'title = "Cascadia"\nsummary = "The movements of Cascadia."\nplace = "Cascadia"\n'
        'scope = "bioregion"\nmembership = "open"\nquorum = "majority"\n'
        '[relays]\nclusters = ["housing"]\n'
    )
    await node.cli("confederation", "found", "cascadia", "--charter", str(charter))
    made = World(node, token.strip())
    if objects:
        for name in authoring():
            await made.publish(name)
    return made


def actor_urls(w: World) -> dict[str, str]:
    return {
        "node": w.actor("fedify"),
        "group": w.actor("tenants"),
        "cluster": w.actor("housing"),
        "instance": f"{w.node.url}/actor",
    }


async def replica_urls(w: World) -> dict[str, str]:
    status, shown = await w.node.get("/api/v1/confederations/cascadia")
    assert status == 200, shown
    clusters = shown["cluster_actors"]
    cluster = next(iter(clusters.values() if isinstance(clusters, dict) else clusters))
    return {"replica": shown["replica"], "replica cluster": cluster}


@pytest.mark.parametrize("version", VERSIONS)
async def test_fedify_parses_every_actor_kind_with_its_keys(
    served: Any, tmp_path: Path, tls: tuple[Path, Path], version: str
) -> None:
    w = await world(served, tmp_path, objects=False)
    urls = actor_urls(w) | await replica_urls(w)
    async with fedify_server(
        tmp_path / "f", tls[0], FEDIFY_HOST, version=version
    ) as peer:
        found = await peer.order("lookup", urls=list(urls.values()))
    by_url = {r["url"]: r for r in found}
    for kind, url in urls.items():
        got = by_url[url]
        assert got["ok"], (kind, got)
        assert got["id"] == url
        assert got["class"] in ("Group", "Application"), (kind, got["class"])
        assert got["inbox"] == f"{url}/inbox"
        assert got["sharedInbox"] == f"{w.node.url}/inbox"
        assert got["followers"] == f"{url}/followers"
        assert got["publicKeys"] == [
            {"id": f"{url}#main-key", "owner": url, "algorithm": "RSASSA-PKCS1-v1_5"}
        ], kind
        # the FEP-521a key that FEP-8b32 proofs are checked with
        assert {
            "id": f"{url}#ed25519-key",
            "controller": url,
            "algorithm": "Ed25519",
        } in (got["assertionMethods"]), kind
    assert by_url[urls["instance"]]["class"] == "Application"
    group = by_url[w.actor("tenants")]
    assert group["ok"], group
    assert group["name"] == "Tenants Union"
    assert group["preferredUsername"] == "tenants"
    assert group["manuallyApprovesFollowers"] is False
    assert group["discoverable"] is True
    assert by_url[w.actor("housing")]["preferredUsername"] == "housing"


def _defined(document: dict[str, Any]) -> set[str]:
    """The keys of a document that ActivityStreams or the security vocabulary define
    (ours, of the movement context, a generic reader is free to drop)."""
    ours = set(context_terms())
    return {
        k
        for k, v in document.items()
        if k not in ours and not k.startswith("@") and v not in ([], {}, None)
    }


@pytest.mark.parametrize("version", VERSIONS)
async def test_fedify_parses_every_object_kind_with_its_properties(
    served: Any, tmp_path: Path, tls: tuple[Path, Path], version: str
) -> None:
    w = await world(served, tmp_path)
    async with fedify_server(
        tmp_path / "f", tls[0], FEDIFY_HOST, version=version
    ) as peer:
        found = await peer.order("lookup", urls=list(w.objects.values()))
        ours = [await peer.order("fetch", url=url) for url in w.objects.values()]
    classes = {name: r.get("class") for name, r in zip(w.objects, found, strict=True)}
    assert classes == {
        "vision": "Article",
        "event call": "Event",
        "comment call": "Note",
        "offer": "Note",
        "proposal": "Question",
    }
    for name, got, document in zip(w.objects, found, ours, strict=True):
        assert got["ok"], (name, got)
        assert got["attributedTo"] == w.actor("tenants")
        assert got["content"], name
        assert "https://www.w3.org/ns/activitystreams#Public" in got["to"]
        # nothing of ActivityStreams we send is lost by a strict reader
        kept = set(got["compacted"])
        lost = _defined(document) - {"id", "type"} - kept
        assert lost == set(), (name, lost)
    vision, call, proposal = found[0], found[1], found[4]
    assert {"class": "Hashtag", "name": "#housing", "href": w.actor("housing")} in (
        vision["tags"]
    )
    assert vision["name"] == "A city where no one is displaced"
    assert call["startTime"]
    assert call["endTime"]
    assert call["location"] == {"class": "Place", "name": "City Hall"}
    assert proposal["oneOf"] == ["Yes", "No", "Later"]
    assert proposal["name"] is None  # a name would be the content warning (Takahē)


async def test_every_document_expands_in_safe_mode_with_the_contexts_fedify_ships(
    served: Any, tmp_path: Path, tls: tuple[Path, Path]
) -> None:
    w = await world(served, tmp_path)
    replica = (await replica_urls(w))["replica"]
    urls = [
        *actor_urls(w).values(),
        replica,
        f"{replica}/charter",
        f"{replica}/decisions",
        f"{replica}/decisions?page=1",
        f"{w.actor('tenants')}/outbox",
        f"{w.actor('tenants')}/outbox?page=1",
        *w.objects.values(),
    ]
    for version in VERSIONS:
        async with fedify_server(
            tmp_path / version, tls[0], FEDIFY_HOST, version=version
        ) as peer:
            expanded = await peer.order("expand", urls=urls)
        failed = [r for r in expanded if not r["ok"]]
        assert failed == [], (version, failed)


@pytest.mark.parametrize("version", VERSIONS)
async def test_fedify_reads_a_replica_charter_and_verifies_its_proof(
    served: Any, tmp_path: Path, tls: tuple[Path, Path], version: str
) -> None:
    w = await world(served, tmp_path, objects=False)
    replica = (await replica_urls(w))["replica"]
    async with fedify_server(
        tmp_path / "f", tls[0], FEDIFY_HOST, version=version
    ) as peer:
        charter, decisions = await peer.order(
            "lookup", urls=[f"{replica}/charter", f"{replica}/decisions"]
        )
        (verified,) = await peer.order("verify", urls=[f"{replica}/charter"])
    assert charter["ok"], charter
    assert charter["class"] == "Document"  # an AS type it knows, mov:Charter beside it
    assert charter["name"] == "Cascadia"
    assert decisions["ok"], decisions
    assert decisions["totalItems"] >= 1
    assert verified == {"url": f"{replica}/charter", "ok": True, "class": "Document"}


async def _follow(w: World, peer: FedifyServer, name: str) -> None:
    await peer.order("follow", target=w.actor(name))

    def accepted() -> bool:
        return any(
            a["type"] == "Accept" and a["actor"] == w.actor(name)
            for a in peer.received()
        )

    await until(accepted, timeout=60, what=f"the Accept of {name}")


def _of(peer: FedifyServer, type_: str, actor: str) -> list[dict[str, Any]]:
    return [a for a in peer.received() if a["type"] == type_ and a["actor"] == actor]


async def test_fedify_follows_a_group_and_a_cluster_and_verifies_what_they_send(
    served: Any, tmp_path: Path, tls: tuple[Path, Path]
) -> None:
    w = await world(served, tmp_path, objects=False)
    async with (
        fedify_server(tmp_path / "fedify", tls[0], FEDIFY_HOST) as peer,
        fedify_server(tmp_path / "cluster", tls[0], CLUSTER_READER_HOST) as reader,
    ):
        await _follow(w, peer, "tenants")
        await _follow(w, reader, "housing")
        for name in authoring():
            await w.publish(name)
        group = w.actor("tenants")

        def created() -> bool:
            return len(_of(peer, "Create", group)) == len(authoring())

        await until(created, timeout=60, what="a Create of each kind")
        classes = {
            a["object"]: a["described"]["class"] for a in _of(peer, "Create", group)
        }
        assert classes == {
            w.objects["vision"]: "Article",
            w.objects["event call"]: "Event",
            w.objects["comment call"]: "Note",
            w.objects["offer"]: "Note",
            w.objects["proposal"]: "Question",
        }
        # the cluster boosts what is tagged with it (the vision and the event call) to
        # whoever follows it and not the author (the group's followers have the Create):
        # a plain Announce (Mastodon's boost) and the FEP-1b12 Announce{Create}
        tagged = {w.objects["vision"], w.objects["event call"]}
        expected = tagged | {f"{o}/activity" for o in tagged}
        await until(
            lambda: len(_of(reader, "Announce", w.actor("housing"))) == len(expected),
            timeout=60,
            what="the cluster's Announces",
        )
        assert {a["object"] for a in _of(reader, "Announce", w.actor("housing"))} == (
            expected
        )
        assert _of(peer, "Announce", w.actor("housing")) == []
        # an edit and a deletion of each kind
        for name, (kind, data) in authoring().items():
            path = f"/api/v1/{kind}s/" + w.objects[name].rsplit("/", 1)[-1]
            await w.api("PUT", path, {**data, "title": f"{data['title']} (edited)"})
        await until(
            lambda: len(_of(peer, "Update", group)) == len(authoring()),
            timeout=60,
            what="an Update of each kind",
        )
        updates = {a["object"]: a["described"] for a in _of(peer, "Update", group)}
        assert set(updates) == set(w.objects.values())
        for name, object_id in w.objects.items():
            seen = updates[object_id]
            shown = f"{seen['name'] or ''} {seen['content'] or ''}"
            assert "(edited)" in shown, (name, seen)
            assert seen["class"] == classes[object_id], name
        for name, (kind, _data) in authoring().items():
            await w.api(
                "DELETE", f"/api/v1/{kind}s/" + w.objects[name].rsplit("/", 1)[-1]
            )
        await until(
            lambda: len(_of(peer, "Delete", group)) == len(authoring()),
            timeout=60,
            what="a Delete of each kind",
        )
        assert {a["object"] for a in _of(peer, "Delete", group)} == set(
            w.objects.values()
        )
        # everything Fedify logged passed its signature check: cavage, our first knock
        assert {a["signature"] for a in peer.received() + reader.received()} == {
            "cavage"
        }


async def test_a_server_that_takes_only_rfc9421_verifies_our_second_knock(
    served: Any, tmp_path: Path, tls: tuple[Path, Path]
) -> None:
    w = await world(served, tmp_path, objects=False)
    async with fedify_server(
        tmp_path / "fedify", tls[0], FEDIFY_HOST, rfc9421_only=True
    ) as peer:
        await _follow(w, peer, "tenants")
        await w.publish("vision")
        await until(
            lambda: _of(peer, "Create", w.actor("tenants")), timeout=60, what="Create"
        )
        assert {a["signature"] for a in peer.received()} == {"rfc9421"}


async def test_a_reply_and_a_vote_from_fedify_are_applied(
    served: Any, tmp_path: Path, tls: tuple[Path, Path]
) -> None:
    w = await world(served, tmp_path, objects=False)
    async with fedify_server(tmp_path / "fedify", tls[0], FEDIFY_HOST) as peer:
        await _follow(w, peer, "tenants")
        call = await w.publish("event call")
        proposal = await w.publish("proposal")
        reply = await peer.order(
            "reply",
            inReplyTo=call,
            to=w.actor("tenants"),
            content="<p>We'll be there.</p>",
        )
        await peer.order(
            "vote", question=proposal, to=w.actor("tenants"), choice="Later"
        )

        async def replied() -> bool:
            shown = await peer.order("fetch", url=call)
            return bool(reply["id"] in shown["replies"]["first"]["items"])

        async def tallied() -> dict[str, int]:
            question = await peer.order("fetch", url=proposal)
            return {o["name"]: o["replies"]["totalItems"] for o in question["oneOf"]}

        await until(replied, timeout=60, what="the reply stored")
        await until(lambda: _later(tallied), timeout=60, what="the vote counted")
        assert await tallied() == {"Yes": 0, "No": 0, "Later": 1}


async def _later(tallied: Any) -> bool:
    return bool((await tallied()).get("Later") == 1)


async def test_fedify_reads_the_direct_pledge_question_and_its_answer_counts(
    served: Any, tmp_path: Path, tls: tuple[Path, Path]
) -> None:
    """What Mastodon users do: a follower receives the group's direct poll about a call,
    fetches it (as its addressee: it is served to no one else) and answers."""
    w = await world(served, tmp_path, objects=False)
    async with fedify_server(tmp_path / "fedify", tls[0], FEDIFY_HOST) as peer:
        await _follow(w, peer, "tenants")
        call = await w.publish("event call")
        key = call.rsplit("/", 1)[1]
        asked = await w.api("POST", f"/api/v1/calls/{key}/ask", {"actor": peer.actor})
        assert asked["questions_sent"] == 2

        def questions() -> list[dict[str, Any]]:
            return [
                a["described"]
                for a in _of(peer, "Create", w.actor("tenants"))
                if a["described"] and a["described"]["class"] == "Question"
            ]

        await until(lambda: len(questions()) == 2, timeout=60, what="two Questions")
        [turnout] = [q for q in questions() if q["oneOf"]]
        assert turnout["oneOf"] == ["I'll be there", "Maybe", "I can't come"]
        assert turnout["to"] == [peer.actor]
        assert turnout["endTime"]
        fetched = await peer.order(
            "fetch", url=turnout["id"]
        )  # signed as its addressee
        assert fetched["type"] == "Question"
        assert fetched["to"] == [peer.actor]
        await peer.order(
            "vote",
            question=turnout["id"],
            to=w.actor("tenants"),
            choice="I'll be there",
        )

        async def going() -> bool:
            shown = await w.api("GET", f"/api/v1/calls/{key}/pledges")
            return bool(shown["counts"]["going"] == 1)

        await until(going, timeout=60, what="the pledge counted")
        shown = await w.api("GET", f"/api/v1/calls/{key}/pledges")
        assert [p["actor"]["id"] for p in shown["pledges"]] == [peer.actor]
        event = await peer.order("fetch", url=call)
        assert event["participantCount"] == 1
