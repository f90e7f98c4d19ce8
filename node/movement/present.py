"""Movement objects as people read them on our pages, in Atom and in iCalendar (pure):
one view of a stored row, whether the object is ours or was relayed to us."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from html import escape
from typing import Any

from node.movement import zones
from node.movement.render import sanitize_html
from node.movement.wire import (
    ASK_LABELS,
    CAPABILITY_LABELS,
    deadline_label,
    deadline_text,
    when_text,
    where_text,
)

KIND_LABELS = {
    "vision": "Vision",
    "call": "Call to action",
    "offer": "Capability offer",
    "proposal": "Proposal",
}
# Mastodon shows these as a title, the summary and a link; Note and Question in full.
CONVERTED_TYPES = frozenset({"Article", "Page", "Event", "Image", "Audio", "Video"})


@dataclass(frozen=True, slots=True)
class ObjectView:
    id: str
    kind: str
    title: str
    summary: str
    html: str  # sanitized
    author: str
    published: datetime
    clusters: list[str] = field(default_factory=list)
    fields: dict[str, Any] = field(default_factory=dict)
    start: datetime | None = None
    end: datetime | None = None
    when: str = ""
    where: str = ""
    details: list[tuple[str, str]] = field(default_factory=list)
    # our own uploads only (a remote object's images are not shown: see FEDERATION.md)
    images: list[dict[str, str]] = field(default_factory=list)
    # who wrote it, as a person reads it (set by the page that shows it)
    author_name: str = ""
    author_url: str = ""
    author_handle: str = ""

    @property
    def label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)


def _details(kind: str, data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(label, text) lines for the object's page: what a reader needs beyond the text."""
    if kind == "call":
        lines = [("Urgency", str(data.get("urgency", "")))]
        asks = [ASK_LABELS.get(a, a) for a in data.get("asks", [])]
        if asks:
            lines.append(("Asks", ", ".join(asks)))
        needed = [
            CAPABILITY_LABELS.get(c, c) for c in data.get("capabilitiesNeeded", [])
        ]
        if needed:
            lines.append(("Needed", ", ".join(needed)))
        if "deadline" in data and "timezone" in data:
            lines.append((deadline_label(dict(data)), deadline_text(dict(data))))
        return lines
    if kind == "offer":
        return [
            ("Capability", CAPABILITY_LABELS.get(data.get("capability", ""), "")),
            ("Area served", str(data.get("areaServed", ""))),
            ("Availability", str(data.get("availability", ""))),
            ("How to ask", str(data.get("howToAsk", ""))),
        ]
    if kind == "vision":
        return [
            ("Horizon", f"{data.get('horizon')} years"),
            ("Place", str(data.get("place", ""))),
        ]
    if kind == "proposal":
        return [
            ("Options", " · ".join(data.get("options", []))),
            ("Voting ends", str(data.get("endTime", ""))),
        ]
    return []


def _zone(name: object) -> tzinfo:
    """The object's IANA zone (a calendar shows its times there); UTC for a name this
    machine does not know."""
    try:
        return zones.check(str(name))
    except zones.UnknownZoneError:
        return UTC


def view(row: Any) -> ObjectView:
    """A stored object row (id, kind, fields, body, clusters, published, author)."""
    body: Mapping[str, Any] = row["body"] or {}
    data: dict[str, Any] = dict(row["fields"] or {})
    start = end = None
    when = where = ""
    if row["kind"] == "call" and "deadline" in data and "timezone" in data:
        # a call for public comment has no time of its own: its calendar entry is the
        # moment responses close
        start = end = datetime.fromisoformat(data["deadline"]).astimezone(
            _zone(data["timezone"])
        )
        when = f"{deadline_label(data)}: {deadline_text(data)}"
    if row["kind"] == "call" and "startTime" in data and "timezone" in data:
        zone = _zone(data["timezone"])
        start = datetime.fromisoformat(data["startTime"]).astimezone(zone)
        end = (
            datetime.fromisoformat(data["endTime"]).astimezone(zone)
            if "endTime" in data
            else None
        )
        when = when_text(data)
        where = where_text(data["location"]) if "location" in data else ""
    return ObjectView(
        id=row["id"],
        kind=row["kind"],
        title=str(data.get("title") or body.get("name") or body.get("title") or ""),
        summary=str(data.get("summary") or ""),
        html=sanitize_html(str(body.get("content") or "")),
        author=row["author"],
        published=row["published"],
        clusters=list(row["clusters"] or []),
        fields=data,
        start=start,
        end=end,
        when=when,
        where=where,
        details=_details(row["kind"], data),
        images=[
            {"url": f"/media/{i['media']}", "alt": str(i.get("alt", ""))}
            for i in data.get("images", [])
            if isinstance(i, dict) and isinstance(i.get("media"), str)
        ],
    )


def mastodon_preview(obj: Mapping[str, Any]) -> str:
    """The HTML a Mastodon reader sees for our AS2 object (sanitized): a converted type
    (Article, Event) shows only its name, summary and a link; a Note its content; a
    Question its content and options (mastodon app/lib/activitypub/parser/status_parser.rb)."""
    type_ = obj.get("type", "Note")
    url = str(obj.get("url") or obj.get("id") or "")
    if type_ in CONVERTED_TYPES:
        html = f"<h2>{escape(str(obj.get('name', '')))}</h2>"
        if obj.get("summary"):
            html += f"<p>{escape(str(obj['summary']))}</p>"
        html += f'<p><a href="{escape(url)}">{escape(url)}</a></p>'
        return html  # every part escaped here
    html = str(obj.get("content", ""))
    options = obj.get("oneOf") or obj.get("anyOf") or []
    if options:
        html += (
            "<ul>"
            + "".join(f"<li>{escape(str(o.get('name')))}</li>" for o in options)
            + "</ul>"
        )
    return sanitize_html(html)
