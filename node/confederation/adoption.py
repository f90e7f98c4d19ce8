"""A confederation adopts a vision version as its shared vision: a member proposes it (an
`Add` record: object VISION/versions/N, target the confederation), members vote with the
same `Accept`/`Reject` records, quorum and fold as for membership, so any replica, and a
node that was offline and catches up from `decisions`, reaches the same outcome, checkable
after the nodes that voted are gone. Adopting a newer version supersedes the older one. Under a charter with
`voters = "groups"` the member nodes' groups vote instead, each with its own record
(authoring.group_vote).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from federation.errors import FederationError
from node.confederation import records as rec
from node.confederation.governance import (
    ConfederationError,
    _local,
    _publish_record,
    state_of,
)
from node.confederation.membership import State, fold
from node.domain.actors import actor_url
from node.services.follow import new_activity_id
from node.services.remote import RemoteActors
from node.storage import confederations as cstore, objects, versions
from node.storage.confederations import Confederation
from node.storage.db import Connection

VERSION = re.compile(r"^(https?://.+)/versions/([1-9][0-9]{0,4})$")


async def version_title(
    conn: Connection, base_url: str, remote: RemoteActors, version: str
) -> str:
    """The title of the vision version `version` (VISION/versions/N): ours from the
    database, another node's from its origin.

    Raises:
        ConfederationError: not a version IRI, or no such version of a public vision.
    """
    match = VERSION.fullmatch(version)
    if match is None:
        msg = f"not a vision version's IRI (VISION/versions/N): {version}"
        raise ConfederationError(msg)
    vision, number = match.group(1), int(match.group(2))
    if vision.startswith(base_url + "/"):
        row = await objects.live_movement(conn, vision)
        if row is None or not row["public"] or row["kind"] != "vision":
            msg = f"no public vision {vision} here"
            raise ConfederationError(msg)
        earlier = await versions.earlier(conn, vision)
        if number == len(earlier) + 1:
            return str(row["fields"]["title"])
        if number > len(earlier):
            msg = f"{vision} has no version {number}"
            raise ConfederationError(msg)
        return str(earlier[number - 1]["fields"]["title"])
    try:
        document = (await remote.fetch_object(version)).document
    except FederationError as exc:
        msg = f"the version could not be read: {exc}"
        raise ConfederationError(msg) from None
    if document.get("isVersionOf") != vision or document.get("kind") != "vision":
        msg = f"{version} is not a version of a vision"
        raise ConfederationError(msg)
    return str(document.get("name") or document.get("title") or "")


async def propose(
    conn: Connection,
    *,
    base_url: str,
    remote: RemoteActors,
    conf: Confederation,
    version: str,
    now: datetime,
) -> State:
    """This node proposes adopting `version` as the confederation's shared vision."""
    member = await _local(conn, conf.member_actor_id)
    me = actor_url(base_url, member)
    state = await state_of(conn, conf)
    if me not in state.members:
        msg = "this node is not a member"
        raise ConfederationError(msg)
    record = rec.adopt(
        id=new_activity_id(base_url, member),
        actor=me,
        confederation=conf.id,
        version=version,
        title=await version_title(conn, base_url, remote, version),
        published=now,
    )
    return await _publish_record(
        conn,
        base_url=base_url,
        remote=remote,
        conf=conf,
        author=member,
        record=record,
        also=set(),
        now=now,
    )


def adopted_view(folded: State, records: list[dict[str, Any]]) -> dict[str, Any] | None:
    """What a body's fold adopted last (the version, its vision, its title, the vote that
    adopted it and who voted yes), and the versions it superseded; None before any. The
    same for a confederation and for a node's assembly."""
    if not folded.adopted:
        return None
    titles = {r["id"]: r.get("name", "") for r in records if r.get("type") == "Add"}

    def shown(proposal: Any) -> dict[str, Any]:
        match = VERSION.fullmatch(proposal.subject)
        return {
            "version": proposal.subject,
            "number": int(match.group(2)) if match else None,
            "vision": match.group(1) if match else proposal.subject,
            "title": titles.get(proposal.id, ""),
            "proposal": proposal.id,
            "yes": sorted(proposal.yes),
            "no": sorted(proposal.no),
            "electorate": len(proposal.electorate),
        }

    *superseded, current = folded.adopted
    return {"current": shown(current), "superseded": [shown(p) for p in superseded]}


async def shared_vision(conn: Any, conf: Confederation) -> dict[str, Any] | None:
    """The confederation's adopted vision (adopted_view), its records read once."""
    records = await cstore.records(conn, conf.id)
    return adopted_view(fold(rec.read_charter(conf.charter), records), records)
