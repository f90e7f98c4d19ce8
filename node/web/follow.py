"""Remote follow: a visitor types their own handle (`you@your.server`) on a group's page
and is sent to their server's page for following it, the way Mastodon's and GoToSocial's
profile pages work: WebFinger on their server, its subscribe template
(`http://ostatus.org/schema/1.0/subscribe`) filled with the group's URI, a 303 there.

The look-up goes through the node's fetch guard (no private or loopback address unless
allow_private_network, size and time bounds), at most 20 a minute per client, and a template
that points anywhere but the server that answered is not followed (no open redirect). When
their server offers no template, the page says what to paste into their app instead.
"""

from __future__ import annotations

from aiohttp import web
from yarl import URL

from federation.errors import FetchRefusedError
from federation.webfinger import WebFingerError
from node.domain.actors import actor_url
from node.runtime import appkeys
from node.storage import actors as store
from node.web import throttle
from node.web.middleware import read_form
from node.web.pages import render

FOLLOWABLE = frozenset({"group", "cluster", "node", "confederation"})


async def remote_follow(request: web.Request) -> web.StreamResponse:
    """POST /actors/{name}/follow (acct=you@your.server): 303 to your server's follow
    page for this actor, or a page saying why not (422)."""
    pool, settings = request.app[appkeys.DB], request.app[appkeys.SETTINGS]
    actor = await store.local_by_name(pool, request.match_info["name"])
    if actor is None or actor.kind not in FOLLOWABLE:
        raise web.HTTPNotFound(reason="no such group")
    form = await read_form(request)
    handle = str(form.get("acct", "")).strip()[:300]
    me = actor_url(settings.url, actor)
    problem = ""
    try:
        throttle.hit(
            request,
            request.app[appkeys.LIMITS].lookups,
            throttle.client(request),
            "remote_follow",
        )
        found = await request.app[appkeys.REMOTE].subscribe_url(handle, me)
    except WebFingerError:
        problem = "That is not a fediverse handle: write it as you@your.server."
    except FetchRefusedError:
        problem = "Your server could not be asked (it did not answer, or may not be)."
    else:
        if found is not None:
            # as the template made it, percent-encoding kept
            raise web.HTTPSeeOther(location=URL(found, encoded=True))
        problem = "Your server offers no follow link."
    response = render(
        request,
        "follow.html",
        {
            "actor": actor,
            "title": actor.display_name or actor.name,
            "handle": f"@{actor.name}@{settings.host_name}",
            "url": me,
            "typed": handle,
            "problem": problem,
        },
    )
    response.set_status(422)
    return response
