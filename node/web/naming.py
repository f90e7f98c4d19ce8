"""Names, not URLs: who wrote an object, as a person reads it — a local group's display
name and page, a remote author's name and handle from the actor document we hold."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from node.domain.actors import local_name
from node.movement.present import ObjectView, view
from node.services.group_inbox import person
from node.storage import actors as store, pages

Named = tuple[str, str, str]  # name, url, handle


async def _namer(pool: Any, base_url: str, who: set[str]) -> Callable[[str], Named]:
    """How to name each of `who` (local actor names and remote actor URLs): one query
    for the local ones, one for the remote ones."""
    remote = sorted(w for w in who if w.startswith(("https:", "http:")))
    local = sorted(who - set(remote))
    shown = await store.local_display_names(pool, local) if local else {}
    documents = await pages.remote_actor_documents(pool, remote) if remote else {}
    host = urlsplit(base_url).netloc

    def name(key: str) -> Named:
        if key in shown:
            return shown[key], f"{base_url}/actors/{key}", f"@{key}@{host}"
        found = person(key, documents.get(key))
        return found.name, found.url, found.handle

    return name


async def named(pool: Any, base_url: str, rows: list[Any]) -> list[ObjectView]:
    """The rows' views with their authors named."""
    shown = [view(r) for r in rows]
    name = await _namer(pool, base_url, {v.author for v in shown})
    out = []
    for v in shown:
        author_name, url, handle = name(v.author)
        out.append(
            dataclasses.replace(
                v, author_name=author_name, author_url=url, author_handle=handle
            )
        )
    return out


async def named_each(
    pool: Any, base_url: str, *lists: list[Any]
) -> list[list[ObjectView]]:
    """named() of several lists of rows, naming their authors once for all."""
    flat = await named(pool, base_url, [row for rows in lists for row in rows])
    out, start = [], 0
    for rows in lists:
        out.append(flat[start : start + len(rows)])
        start += len(rows)
    return out


async def member_names(
    pool: Any, base_url: str, members: list[str]
) -> list[dict[str, str]]:
    """A confederation's member nodes (actor URLs) as name, handle and link."""
    keys = {uri: local_name(base_url, uri) or uri for uri in members}
    name = await _namer(pool, base_url, set(keys.values()))
    shown = []
    for uri in members:
        member, url, handle = name(keys[uri])
        shown.append({"name": member, "handle": handle, "url": url})
    return shown
