"""A vision's plan on the wire (pure): each item is a public `Note` by the group that
owns it (`kind: plan_item`, `planFor`: the vision, `title`, `status`, `due`, `progress`:
its dated notes), with an FEP-8b32 proof, to the owner's followers and the vision's author.
A Mastodon reader sees what the step is, whose, how far it has come and by when; every change
is an `Update` of the same Note, which only its owner can send. And the plan as feeds."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from html import escape
from typing import Any

from feedgen.feed import FeedGenerator
from icalendar import Calendar, Event

from federation.vocab.activities import PUBLIC, iso
from node.movement.wire import context

KIND = "plan_item"
STATUS = {
    "proposed": "proposed",
    "underway": "under way",
    "done": "done",
    "dropped": "dropped",
}
MAX_NOTES = 50  # an item's history keeps its latest notes


def overdue(due: str | None, status: str, today: date) -> bool:
    """Past its due date and neither done nor dropped."""
    return (
        due is not None
        and status not in ("done", "dropped")
        and date.fromisoformat(due) < today
    )


def build(
    *,
    item_id: str,
    owner: str,
    owner_name: str,
    followers: str,
    vision: str,
    vision_title: str,
    vision_author: str,
    title: str,
    status: str,
    due: str | None,
    progress: list[dict[str, str]],
    published: datetime,
    updated: datetime | None = None,
) -> dict[str, Any]:
    """The (unsigned) plan item Note."""
    link = f'<a href="{escape(vision)}">{escape(vision_title)}</a>'
    content = (
        f"<p><strong>{escape(title)}</strong>: a step of the plan for {link}</p>"
        f"<p>Taken on by {escape(owner_name)} · {STATUS[status]}"
        + (f" · due {escape(due)}" if due else "")
        + "</p>"
    )
    if progress:
        content += (
            f"<p>{escape(progress[-1]['at'][:10])}: {escape(progress[-1]['note'])}</p>"
        )
    note: dict[str, Any] = {
        "@context": context(),
        "id": item_id,
        "type": "Note",
        "kind": KIND,
        "attributedTo": owner,
        "planFor": vision,
        "title": title,
        "status": status,
        "progress": progress[-MAX_NOTES:],
        "content": content,
        "published": iso(published),
        "url": item_id,
        "to": [PUBLIC],
        "cc": [followers, vision_author],
        "tag": [{"type": "Mention", "href": vision_author}],
    }
    if due:
        note["due"] = due
    if updated is not None:
        note["updated"] = iso(updated)
    return note


def read(obj: Any) -> tuple[str, str, dict[str, Any]] | None:
    """(owner, vision, {title, status, due, progress}) of a plan item Note, or None."""
    if not isinstance(obj, dict) or obj.get("kind") != KIND:
        return None
    owner, vision, title = obj.get("attributedTo"), obj.get("planFor"), obj.get("title")
    status, due, progress = obj.get("status"), obj.get("due"), obj.get("progress", [])
    if not (
        isinstance(owner, str) and isinstance(vision, str) and isinstance(title, str)
    ):
        return None
    if status not in STATUS or not (due is None or isinstance(due, str)):
        return None
    if not isinstance(progress, list) or len(progress) > MAX_NOTES:
        return None
    try:
        if due is not None:
            date.fromisoformat(due)
    except ValueError:
        return None
    notes = [
        {"at": str(n["at"]), "note": str(n["note"])[:500]}
        for n in progress
        if isinstance(n, dict)
        and isinstance(n.get("at"), str)
        and isinstance(n.get("note"), str)
    ]
    return (
        owner,
        vision,
        {"title": title[:200], "status": status, "due": due, "progress": notes},
    )


def plan_atom(
    *, vision: str, title: str, items: Sequence[dict[str, Any]], updated: datetime
) -> bytes:
    """The plan as an Atom feed: an entry per item, updated whenever its owner updates it."""
    feed = FeedGenerator()
    feed.id(f"{vision}/plan")
    feed.title(f"The plan for {title}")
    feed.link(href=vision, rel="alternate", type="text/html")
    feed.link(href=f"{vision}/plan.atom", rel="self", type="application/atom+xml")
    feed.updated(max((i["updated_at"] for i in items), default=updated))
    for item in items:
        entry = feed.add_entry()
        entry.id(item["id"])
        entry.title(f"{item['title']} ({STATUS[item['status']]})")
        entry.link(href=item["id"], rel="alternate", type="text/html")
        entry.author(name=item["owner_name"])
        entry.updated(item["updated_at"])
        notes = item["progress"]
        entry.content(
            escape(notes[-1]["note"]) if notes else STATUS[item["status"]], type="html"
        )
    document: bytes = feed.atom_str(pretty=False)
    return document


def plan_icalendar(
    *, vision: str, title: str, items: Sequence[dict[str, Any]], stamp: datetime
) -> bytes:
    """The plan's dated items as all-day events on their due dates."""
    calendar = Calendar()
    calendar.add("prodid", "-//movement-node//plan//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"The plan for {title}")
    calendar.add("url", vision)
    for item in items:
        if not item["due"]:
            continue
        event = Event()
        event.add("uid", item["id"])
        event.add("dtstamp", stamp)
        event.add("dtstart", date.fromisoformat(item["due"]))
        event.add("summary", f"Due: {item['title']} ({item['owner_name']})")
        event.add("description", f"{STATUS[item['status']]}\n\n{item['id']}")
        event.add("url", item["id"])
        calendar.add_component(event)
    document: bytes = calendar.to_ical()
    return document
