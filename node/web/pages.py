"""Public HTML pages (server-rendered, no JavaScript): the node's home, a page per actor and
per object, and the Atom and iCalendar feeds. Only public objects are ever shown."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import aiohttp_jinja2
import jinja2
from aiohttp import web

from node.confederation import adoption
from node.confederation.governance import describe, describe_all
from node.confederation.records import read_charter
from node.domain.actors import LocalActor, actor_url
from node.movement import acting, geo, pledging
from node.movement.ecology import layout
from node.movement.endorsing import ENDORSABLE
from node.movement.present import ObjectView
from node.movement.versions import changes
from node.movement.wire import CAPABILITY_LABELS, local_time
from node.runtime import appkeys
from node.services import assembly, directory, electorate, group_inbox, polls
from node.storage import (
    actors as store,
    confederations as cstore,
    pages,
    pledges as pledge_store,
    versions,
)
from node.web.amendments import proposed
from node.web.endorsements import signatories
from node.web.naming import member_names, named, named_each
from node.web.plan import plan_of

ACTOR_KIND_LABELS = {
    "node": "Movement node",
    "group": "Group",
    "cluster": "Cluster (issue area)",
    "confederation": "Confederation (this node's replica)",
    "confederation_cluster": "A confederation's cluster",
    "member": "Member",
}
PAGE_ITEMS = 30
HELP_LABELS = {"volunteer": "to volunteer", **CAPABILITY_LABELS}


def setup_templates(app: web.Application) -> None:
    aiohttp_jinja2.setup(
        app,
        loader=jinja2.PackageLoader("node.web", "templates"),
        autoescape=jinja2.select_autoescape(default=True),
    )


def _site(request: web.Request) -> dict[str, Any]:
    """What every page's layout needs (aiohttp_jinja2's context processors would store it
    under a string request key, which aiohttp now warns about)."""
    settings = request.app[appkeys.SETTINGS]
    return {
        "base_url": settings.url,
        "host": urlsplit(settings.url).netloc,
        "node_title": settings.place
        or urlsplit(settings.url).hostname
        or "movement-node",
        "page_url": f"{settings.url}{request.path}",
    }


def render(
    request: web.Request, template: str, context: dict[str, Any]
) -> web.Response:
    response = aiohttp_jinja2.render_template(
        template, request, _site(request) | context
    )
    return _page_headers(response, request)


def html_response(request: web.Request, body: bytes) -> web.Response:
    """A page rendered before (held in memory), with the headers every page carries."""
    return _page_headers(
        web.Response(body=body, content_type="text/html", charset="utf-8"), request
    )


def _page_headers(response: web.Response, request: web.Request) -> web.Response:
    # a test federation's peers serve plain http (allow_private_network)
    http = " http:" if request.app[appkeys.SETTINGS].allow_private_network else ""
    response.headers["Vary"] = "Accept, Signature"
    response.headers["Content-Security-Policy"] = (
        # images are only ever our own uploads: a page never makes a visitor's browser
        # ask another server for anything. Browsers check form-action against where a
        # form's answer redirects too, and the remote-follow form's answer sends the
        # visitor on to their own server: https targets are allowed for that
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
        f"form-action 'self' https:{http}; frame-ancestors 'none'; base-uri 'none'"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


async def home(request: web.Request) -> web.Response:
    """GET / — the node at a glance."""
    pool, settings = request.app[appkeys.DB], request.app[appkeys.SETTINGS]
    node = await store.local_by_name(pool, settings.node_name)
    if node is None:
        raise web.HTTPServiceUnavailable(reason="the node actor is not made yet")
    now = request.app[appkeys.CLOCK]()

    def listing(kind: str) -> list[dict[str, str]]:
        return [
            {
                "name": a.name,
                "title": a.display_name or a.name,
                "url": actor_url(settings.url, a),
            }
            for a in by_kind[kind]
        ]

    by_kind = {k: await store.local_by_kind(pool, k) for k in ("group", "cluster")}
    me = actor_url(settings.url, node)
    calls, visions, offers = await named_each(
        pool,
        settings.url,
        await pages.upcoming_calls(pool, node, now, limit=PAGE_ITEMS, home=True),
        await pages.objects_of(pool, node, kind="vision", limit=10, home=True),
        await pages.objects_of(pool, node, kind="offer", limit=10, home=True),
    )
    return render(
        request,
        "home.html",
        {
            "node": node,
            "place": settings.place,
            "description": node.summary,
            "ap_url": me,
            "atom_url": f"{me}/feed.atom",
            "ics_url": f"{me}/calendar.ics",
            # across the node's confederations too: what its replicas brought home
            "calls": calls,
            "visions": visions,
            "offers": offers,
            "groups": listing("group"),
            "clusters": listing("cluster"),
            "confederations": await describe_all(pool, settings.url),
            "shared": [
                found
                for conf in await cstore.all_(pool)
                if (found := await _shared(pool, settings.url, conf)) is not None
            ],
            "assembly": await _assembly_vision(pool, settings),
        },
    )


async def _shared(pool: Any, base_url: str, conf: Any) -> dict[str, Any] | None:
    """The confederation's adopted vision, its title and the member nodes that voted
    for it by name (None before any adoption)."""
    adopted = await adoption.shared_vision(pool, conf)
    if adopted is None:
        return None
    replica = (
        None
        if conf.replica_actor_id is None
        else await store.local_by_id(pool, conf.replica_actor_id)
    )
    return adopted | {
        "confederation": read_charter(conf.charter).title,
        "voters": await member_names(pool, base_url, adopted["current"]["yes"]),
        "decisions": None
        if replica is None
        else f"{actor_url(base_url, replica)}/decisions",
    }


async def _assembly_vision(pool: Any, settings: Any) -> dict[str, Any] | None:
    """The node's assembly's adopted vision, with the groups that voted for it by name."""
    adopted = await assembly.shared_vision(pool, settings.url)
    if adopted is None:
        return None
    return adopted | {
        "confederation": settings.place or "this node",
        "voters": await member_names(pool, settings.url, adopted["current"]["yes"]),
        "body": "groups",
        "decisions": f"{settings.url}/assembly/decisions",
    }


async def actor_page(request: web.Request, actor: LocalActor) -> web.Response:
    """The HTML face of /actors/{name}."""
    pool, settings = request.app[appkeys.DB], request.app[appkeys.SETTINGS]
    me = actor_url(settings.url, actor)
    confederation, members, shared = None, [], None
    if actor.kind == "confederation":
        conf = await cstore.by_replica(pool, actor.id)
        if conf is not None:
            confederation = await describe(pool, settings.url, conf)
            members = await member_names(pool, settings.url, confederation["members"])
            shared = await _shared(pool, settings.url, conf)
    now = request.app[appkeys.CLOCK]()
    upcoming = await pages.upcoming_calls(pool, actor, now, limit=PAGE_ITEMS)
    listed = {row["id"] for row in upcoming}
    calls, latest = await named_each(
        pool,
        settings.url,
        upcoming,
        # what is not already listed as upcoming
        [
            row
            for row in await pages.objects_of(pool, actor, limit=PAGE_ITEMS)
            if row["id"] not in listed
        ],
    )
    return render(
        request,
        "actor.html",
        {
            "actor": actor,
            "title": actor.display_name or actor.name,
            "kind_label": ACTOR_KIND_LABELS.get(actor.kind, actor.kind),
            "description": actor.summary,
            "ap_url": me,
            "atom_url": f"{me}/feed.atom",
            "ics_url": f"{me}/calendar.ics",
            "confederation": confederation,
            "members": members,
            "shared": shared,
            "calls": calls,
            "objects": latest,
        },
    )


async def object_page(request: web.Request, object_id: str) -> web.Response:
    """The HTML face of a local public object (404 for any other)."""
    pool, settings = request.app[appkeys.DB], request.app[appkeys.SETTINGS]
    row = await pages.public_object(pool, object_id)
    if row is None:
        raise web.HTTPNotFound(reason="no such object")
    (shown,) = await named(pool, settings.url, [row])
    page_raw = request.query.get("replies", "1")
    page = int(page_raw) if page_raw.isdigit() and 0 < int(page_raw) <= 1000 else 1
    return render(
        request,
        "object.html",
        {
            "o": shown,
            "act": _act(shown, request.app[appkeys.CLOCK]())
            if shown.kind == "call"
            else None,
            "replies": await group_inbox.public_replies(pool, object_id, page),
            "history": await history(pool, object_id, shown.fields)
            if shown.kind == "vision"
            else None,
            "plan": await plan_of(
                pool, settings.url, object_id, request.app[appkeys.CLOCK]().date()
            )
            if shown.kind == "vision"
            else [],
            "amendments": await proposed(pool, settings.url, object_id, shown.fields)
            if shown.kind == "vision"
            else [],
            "signed": await signatories(pool, settings.url, object_id)
            if shown.kind in ENDORSABLE
            else None,
            "pledges": await pledge_store.counts(pool, object_id)
            if shown.kind == "call"
            else None,
            "help_labels": HELP_LABELS,
            "labels_for_help": CAPABILITY_LABELS,
            "votes": await _votes(request, object_id)
            if shown.kind == "proposal"
            else None,
            "helping": await directory.helping(pool, settings.url, shown.fields)
            if shown.kind == "call"
            else [],
            "description": shown.summary or shown.title,
            "ap_url": object_id,
        },
    )


async def history(pool: Any, object_id: str, current: dict[str, Any]) -> dict[str, Any]:
    """The current version's number, the earlier ones (oldest first) and what the last
    edit changed."""
    earlier = await versions.earlier(pool, object_id)
    last = dict(earlier[-1]["fields"]) if earlier else None
    return {
        "number": len(earlier) + 1,
        "earlier": [
            {
                "number": r["version"],
                "made_at": r["made_at"],
                "url": f"{object_id}/versions/{r['version']}",
            }
            for r in earlier
        ],
        "changes": changes(last, current) if last is not None else [],
    }


def _act(shown: ObjectView, now: datetime) -> dict[str, Any]:
    """What the call's page tells a person to do, and where to add it or find it."""
    return {
        "pledging": pledging.takes_pledges(shown.fields, now),
        "instructions": acting.instructions(shown.fields),
        "map": acting.map_link(shown.fields.get("location")),
        "ics": f"{shown.id}/event.ics" if shown.start is not None else None,
        "critical": shown.fields.get("urgency") == "critical",
        "details": [d for d in shown.details if d[0] != "Asks"],
        "organiser_local": shown.author,  # a page of ours: one of our groups
    }


async def _votes(request: web.Request, object_id: str) -> dict[str, Any] | None:
    """A proposal's public tallies, who may vote, and its end in the node's local time."""
    votes = await polls.summary(request.app[appkeys.DB], object_id)
    if votes is None:
        return None
    votes.pop("refused")  # the organisers' figure
    row = await pages.public_object(request.app[appkeys.DB], object_id)
    end = dict(row["fields"])["endTime"] if row is not None else None
    zone = request.app[appkeys.SETTINGS].timezone
    return votes | {
        "electorate_label": electorate.LABELS[votes["electorate"]],
        "ends": None if end is None else local_time(end, zone),
    }


async def offers_page(request: web.Request) -> web.Response:
    """GET /offers?capability=&area= — every capability offer the node knows."""
    pool, settings = request.app[appkeys.DB], request.app[appkeys.SETTINGS]
    capability = request.query.get("capability") or None
    if capability is not None and capability not in CAPABILITY_LABELS:
        raise web.HTTPBadRequest(
            reason=f"capability: one of {', '.join(CAPABILITY_LABELS)}"
        )
    area = (request.query.get("area") or "").strip() or None
    if area is not None and len(area) > 100:
        raise web.HTTPBadRequest(reason="area: at most 100 characters")
    return render(
        request,
        "offers.html",
        {
            "offers": await directory.offers(
                pool, settings.url, capability=capability, area=area
            ),
            "capability": capability,
            "area": area or "",
            "labels": CAPABILITY_LABELS,
            "description": "What the movement offers: legal support, trainings, "
            "venues and more, from every group this node knows.",
        },
    )


async def movement_map(request: web.Request) -> web.Response:
    """GET /map — the node's ecology as a server-rendered SVG."""
    pool, settings = request.app[appkeys.DB], request.app[appkeys.SETTINGS]
    shown = layout(await pages.ecology(pool), await describe_all(pool, settings.url))
    now, calls = request.app[appkeys.CLOCK](), []
    for node in await store.local_by_kind(pool, "node"):  # the one node actor
        rows = await pages.upcoming_calls(pool, node, now, limit=50, home=True)
        calls = await named(pool, settings.url, rows)
    where = geo.place_pins(
        [
            {"id": c.id, "title": c.title, "fields": c.fields}
            | {"when": c.when, "where": c.where}
            for c in calls
        ]
    )
    return render(
        request,
        "map.html",
        {
            "m": shown,
            "geo": where,
            "description": "Groups, clusters, bridges and confederations; where the "
            "upcoming calls to action are.",
        },
    )


async def tag(request: web.Request) -> web.Response:
    """GET /tags/{name}: where Mastodon and others link a hashtag on its origin server;
    a cluster's hashtag leads to the cluster's page."""
    name = request.match_info["name"].lower().lstrip("#")
    found = await store.local_by_name(request.app[appkeys.DB], name)
    if found is None or found.kind != "cluster":
        raise web.HTTPNotFound(reason=f"no cluster #{name} on this node")
    settings = request.app[appkeys.SETTINGS]
    raise web.HTTPFound(location=actor_url(settings.url, found))
