"""WebFinger, host-meta and NodeInfo over real HTTP."""

from typing import Any
from urllib.parse import quote

import pytest

from node.runtime import appkeys
from node.services.actors import create_actor

pytestmark = pytest.mark.db


@pytest.fixture
async def node(make_client: Any) -> Any:
    client = await make_client(place="Seattle")
    await create_actor(
        client.app[appkeys.DB],
        kind="group",
        name="housing",
        display_name="Housing Justice",
    )
    return client


def _base(client: Any) -> str:
    return str(client.app[appkeys.SETTINGS].url)


def _host(client: Any) -> str:
    return _base(client).split("://", 1)[1]


async def _finger(client: Any, resource: str) -> Any:
    return await client.get(
        f"/.well-known/webfinger?resource={quote(resource, safe='')}"
    )


async def test_webfinger_acct_returns_self_and_profile_links(node: Any) -> None:
    resp = await _finger(node, f"acct:housing@{_host(node)}")
    assert resp.status == 200
    assert resp.content_type == "application/jrd+json"
    jrd = await resp.json()
    assert jrd["subject"] == f"acct:housing@{_host(node)}"
    self_links = [link for link in jrd["links"] if link["rel"] == "self"]
    assert self_links == [
        {
            "rel": "self",
            "type": "application/activity+json",
            "href": f"{_base(node)}/actors/housing",
        }
    ]
    assert any(
        link["rel"] == "http://webfinger.net/rel/profile-page" for link in jrd["links"]
    )


async def test_webfinger_round_trips_the_way_mastodon_checks(node: Any) -> None:
    """preferredUsername + the actor id's host -> acct: -> WebFinger -> the same actor id."""
    jrd = await (await _finger(node, f"acct:housing@{_host(node)}")).json()
    actor_id = next(link["href"] for link in jrd["links"] if link["rel"] == "self")
    doc = await (
        await node.get(
            actor_id.removeprefix(_base(node)),
            headers={"Accept": "application/activity+json"},
        )
    ).json()
    acct = f"acct:{doc['preferredUsername']}@{actor_id.split('/')[2]}"
    again = await (await _finger(node, acct)).json()
    assert (
        next(link["href"] for link in again["links"] if link["rel"] == "self")
        == doc["id"]
        == actor_id
    )


async def test_webfinger_accepts_the_actor_url_as_resource(node: Any) -> None:
    jrd = await (await _finger(node, f"{_base(node)}/actors/housing")).json()
    assert jrd["subject"] == f"acct:housing@{_host(node)}"


@pytest.mark.parametrize(
    ("resource", "status"),
    [
        ("acct:housing@elsewhere.example", 404),
        ("acct:nobody@{host}", 404),
        ("https://elsewhere.example/actors/housing", 404),
        ("garbage", 400),
        ("acct:@", 400),
    ],
    ids=["wrong-host", "unknown-name", "foreign-url", "garbled", "empty-acct"],
)
async def test_webfinger_refusals(node: Any, resource: str, status: int) -> None:
    resp = await _finger(node, resource.format(host=_host(node)))
    assert resp.status == status
    assert "error" in await resp.json()


async def test_webfinger_without_resource_is_400(node: Any) -> None:
    resp = await node.get("/.well-known/webfinger")
    assert resp.status == 400


async def test_server_webfinger_names_the_instance_actor(node: Any) -> None:
    """FEP-d556: WebFinger for the server's own URL."""
    jrd = await (await _finger(node, _base(node) + "/")).json()
    assert {
        "rel": "https://www.w3.org/ns/activitystreams#Application",
        "type": "application/activity+json",
        "href": f"{_base(node)}/actor",
    } in jrd["links"]


async def test_instance_actor_is_found_by_webfinger(node: Any) -> None:
    jrd = await (await _finger(node, f"acct:actor@{_host(node)}")).json()
    assert jrd["links"][-1]["href"] == f"{_base(node)}/actor"


async def test_host_meta_points_at_webfinger(node: Any) -> None:
    resp = await node.get("/.well-known/host-meta")
    assert resp.status == 200
    assert (
        f'template="{_base(node)}/.well-known/webfinger?resource={{uri}}"'
        in await resp.text()
    )


async def test_nodeinfo_index_and_document(node: Any) -> None:
    index = await (await node.get("/.well-known/nodeinfo")).json()
    rels = {link["rel"]: link["href"] for link in index["links"]}
    assert (
        rels["https://www.w3.org/ns/activitystreams#Application"]
        == f"{_base(node)}/actor"
    )  # FEP-2677
    href = rels["http://nodeinfo.diaspora.software/ns/schema/2.1"]
    doc = await (await node.get(href.removeprefix(_base(node)))).json()
    assert doc["version"] == "2.1"
    assert doc["software"]["name"] == "movement-node"
    assert doc["protocols"] == ["activitypub"]
    assert doc["openRegistrations"] is False
    assert doc["usage"]["users"]["total"] == 2  # the node actor and housing
    assert doc["metadata"]["place"] == "Seattle"
