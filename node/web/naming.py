"""Names, not URLs: who wrote an object, as a person reads it — a local group's display
name and page, a remote author's name and handle from the actor document we hold."""

from __future__ import annotations

import dataclasses
from typing import Any
from urllib.parse import urlsplit

from node.movement.present import ObjectView, view
from node.services.group_inbox import person
from node.storage import actors as store, pages


async def named(pool: Any, base_url: str, rows: list[Any]) -> list[ObjectView]:
    """The rows' views with their authors named (one query for the local ones, one for
    the remote ones)."""
    shown = [view(r) for r in rows]
    remote = sorted(
        {v.author for v in shown if v.author.startswith(("https:", "http:"))}
    )
    local = sorted({v.author for v in shown} - set(remote))
    locals_ = await store.local_display_names(pool, local) if local else {}
    documents = await pages.remote_actor_documents(pool, remote) if remote else {}
    host = urlsplit(base_url).netloc
    out = []
    for v in shown:
        if v.author in locals_:
            name, url = locals_[v.author], f"{base_url}/actors/{v.author}"
            handle = f"@{v.author}@{host}"
        else:
            who = person(v.author, documents.get(v.author))
            name, url, handle = who.name, who.url, who.handle
        out.append(
            dataclasses.replace(
                v, author_name=name, author_url=url, author_handle=handle
            )
        )
    return out


async def member_names(
    pool: Any, base_url: str, members: list[str]
) -> list[dict[str, str]]:
    """A confederation's member nodes (actor URLs) as name, handle and link."""
    documents = await pages.remote_actor_documents(pool, members)
    shown = []
    for uri in members:
        if uri.startswith(base_url + "/"):
            name = uri.rsplit("/", 1)[-1]
            names = await store.local_display_names(pool, [name])
            shown.append(
                {
                    "name": names.get(name, name),
                    "handle": f"@{name}@{urlsplit(base_url).netloc}",
                    "url": uri,
                }
            )
            continue
        who = person(uri, documents.get(uri))
        shown.append({"name": who.name, "handle": who.handle, "url": who.url})
    return shown
