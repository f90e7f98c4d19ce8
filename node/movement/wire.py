"""Movement objects on the wire (pure): authoring input -> the AS2 object we publish, and
a received object -> its movement part in the authoring shape (validated by the same schema).

One ActivityStreams type per object plus `kind` (mov:kind). Mastodon shows only name,
summary and a link for Article and Event, so their `summary` carries the essentials; for
Note and Question `summary` would become a content warning, so the essentials go into
`content` instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from federation.vocab.activities import PUBLIC, iso
from federation.vocab.read import as_list
from node.movement.render import first_lines, markdown_html, paragraph
from node.movement.schemas import context_terms

AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
SECURITY_CONTEXT = "https://w3id.org/security/v1"
ASK_LABELS = {
    "turnout": "turn out",
    "public-comment": "comment publicly",
    "volunteers": "volunteer",
    "capabilities": "bring capabilities",
}
CAPABILITY_LABELS = {
    "legal": "legal support",
    "training": "training",
    "communications": "communications",
    "digital-security": "digital security",
    "translation": "translation",
    "venue": "a venue",
    "transport": "transport",
    "care": "care",
    "medic": "street medics",
    "funding": "funding",
    "research": "research",
    "media": "media",
    "other": "other help",
}


def context() -> list[Any]:
    """The inline @context of everything we publish (no one needs to fetch ours)."""
    return [AS_CONTEXT, SECURITY_CONTEXT, context_terms()]


@dataclass(frozen=True, slots=True)
class Addressing:
    object_id: str
    actor: str  # the publishing group's actor URL
    followers: str
    clusters: dict[str, str]  # cluster name -> cluster actor URL
    published: datetime
    updated: datetime | None = None
    attachments: tuple[dict[str, Any], ...] = ()  # the images, as AS2 Documents


TITLED_TYPES = frozenset({"Article", "Event"})


def as_type(kind: str, data: dict[str, Any]) -> str:
    if kind == "vision":
        return "Article"
    if kind == "call":
        return "Event" if "startTime" in data else "Note"
    if kind == "proposal":
        return "Question"
    return "Note"


def when_text(data: dict[str, Any]) -> str:
    """Local time with its zone: 'Sat 5 Dec 2026, 18:00-20:00 PST (America/Los_Angeles)' (en dash)."""
    zone = ZoneInfo(data["timezone"])
    start = datetime.fromisoformat(data["startTime"]).astimezone(zone)
    text = f"{start:%a} {start.day} {start:%b %Y, %H:%M}"
    if "endTime" in data:
        end = datetime.fromisoformat(data["endTime"]).astimezone(zone)
        same_day = end.date() == start.date()
        text += (
            f"\u2013{end:%H:%M}"
            if same_day
            else f" \u2013 {end:%a} {end.day} {end:%b %Y, %H:%M}"
        )
    return f"{text} {start.tzname()} ({data['timezone']})"


def local_time(when: str, zone_name: str) -> str:
    """An instant in a zone: 'Sun 20 Dec 2026, 13:00 CET (Europe/Berlin)'."""
    at = datetime.fromisoformat(when).astimezone(ZoneInfo(zone_name))
    return f"{at:%a} {at.day} {at:%b %Y, %H:%M} {at.tzname()} ({zone_name})"


def deadline_text(data: dict[str, Any]) -> str:
    """The deadline in the call's zone: 'Wed 9 Dec 2026, 12:00 PST (America/Los_Angeles)'."""
    zone = ZoneInfo(data["timezone"])
    at = datetime.fromisoformat(data["deadline"]).astimezone(zone)
    return f"{at:%a} {at.day} {at:%b %Y, %H:%M} {at.tzname()} ({data['timezone']})"


def deadline_label(data: dict[str, Any]) -> str:
    return "Comments close" if "public-comment" in data.get("asks", []) else "Deadline"


def where_text(location: dict[str, Any]) -> str:
    return ", ".join(filter(None, [location["name"], location.get("address")]))


def _ask(data: dict[str, Any]) -> str:
    asks = [ASK_LABELS[a] for a in data["asks"]]
    text = "Asks: " + ", ".join(asks)
    needed = [CAPABILITY_LABELS[c] for c in data.get("capabilitiesNeeded", [])]
    return text + (f"; needed: {', '.join(needed)}" if needed else "")


# the characters of an Event's summary the body's opening may fill up to
SUMMARY_ROOM = 500


def call_summary(data: dict[str, Any]) -> str:
    """What, when, where, urgency and the ask, in the few lines Mastodon shows."""
    parts = [data["title"] + "."]
    if data.get("summary"):
        parts.append(data["summary"])
    if "startTime" in data:
        parts.append(f"When: {when_text(data)}.")
        parts.append(f"Where: {where_text(data['location'])}.")
    if "deadline" in data:
        parts.append(f"{deadline_label(data)}: {deadline_text(data)}.")
    parts.append(f"Urgency: {data['urgency']}.")
    parts.append(_ask(data) + ".")
    return " ".join(parts)


def vision_summary(data: dict[str, Any]) -> str:
    return (
        f"{data['summary']} Horizon: {data['horizon']} years. Place: {data['place']}."
    )


def offer_details_html(data: dict[str, Any]) -> str:
    label = CAPABILITY_LABELS[data["capability"]]
    return (
        f"<p><strong>Offer: {label}</strong> — {escape(data['title'])}</p>"
        + markdown_html(data["body"])
        + paragraph(f"Area served: {data['areaServed']}")
        + paragraph(f"Availability: {data['availability']}")
        + paragraph(f"How to ask: {data['howToAsk']}")
    )


INSTITUTION_STATUS = {
    "proposed": "proposed",
    "organising": "being organised",
    "founded": "founded",
    "dropped": "dropped",
}


def institutions_html(institutions: list[dict[str, Any]]) -> str:
    """The institutions a vision calls for, as the end of its content (escaped)."""
    items = "".join(
        f"<li><strong>{escape(i['name'])}</strong> ({INSTITUTION_STATUS[i.get('status', 'proposed')]}): "
        f"{escape(i['purpose'])}</li>"
        for i in institutions
    )
    return f"<p><strong>Institutions this vision calls for</strong></p><ul>{items}</ul>"


def _tags(clusters: dict[str, str], names: list[str]) -> list[dict[str, str]]:
    return [
        {"type": "Hashtag", "name": f"#{name}", "href": clusters[name]}
        for name in names
        if name in clusters
    ]


def build_object(
    kind: str,
    data: dict[str, Any],
    at: Addressing,
    *,
    tallies: dict[str, int] | None = None,
    voters: int = 0,
    closed: datetime | None = None,
) -> dict[str, Any]:
    """The AS2 object for validated authoring `data` of `kind`."""
    type_ = as_type(kind, data)
    public = data.get("audience", "public") == "public"
    names = data.get("clusters", [])
    obj: dict[str, Any] = {
        "@context": context(),
        "id": at.object_id,
        "type": type_,
        "kind": kind,
        "attributedTo": at.actor,
        # `name` only where readers show it as a title (Article, Event): on a Note or a
        # Question, Takahē and others turn a name into a content warning hiding the rest
        ("name" if type_ in TITLED_TYPES else "title"): data["title"],
        "content": markdown_html(data["body"]),
        "source": {"content": data["body"], "mediaType": "text/markdown"},
        "published": iso(at.published),
        "url": at.object_id,
        "to": [PUBLIC] if public else [at.followers],
        "cc": [at.followers] if public else [],
        "tag": _tags(at.clusters, names),
        "clusters": [at.clusters[n] for n in names if n in at.clusters],
    }
    if at.updated is not None:
        obj["updated"] = iso(at.updated)
    if at.attachments:
        obj["attachment"] = list(at.attachments)
    if kind == "vision":
        obj |= {
            "summary": paragraph(
                vision_summary(data)
            ),  # HTML: the author's text escaped
            "abstract": data["summary"],
            "horizon": data["horizon"],
            "place": data["place"],
        }
        if data.get("institutions"):
            obj["institutions"] = data["institutions"]
            obj["content"] += institutions_html(data["institutions"])
    elif kind == "call":
        obj |= _call_fields(data, type_)
    elif kind == "offer":
        obj |= {
            "content": offer_details_html(data),
            "capability": data["capability"],
            "areaServed": data["areaServed"],
            "availability": data["availability"],
            "howToAsk": data["howToAsk"],
        }
    elif kind == "proposal":
        counts = tallies or {}
        options = [
            {
                "type": "Note",
                "name": option,
                "replies": {"type": "Collection", "totalItems": counts.get(option, 0)},
            }
            for option in data["options"]
        ]
        obj |= {
            # Mastodon shows a Question's content, not its name: the question leads
            "content": f"<p><strong>{escape(data['title'])}</strong></p>"
            + markdown_html(data["body"]),
            "anyOf" if data.get("multiple") else "oneOf": options,
            "endTime": data["endTime"],
            "votersCount": voters,
            # who may vote, by kind; a list of voters is never published
            "electorate": data.get("electorate", "anyone"),
        }
        if closed is not None:
            obj["closed"] = iso(closed)
    return obj


def _call_fields(data: dict[str, Any], type_: str) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "urgency": data["urgency"],
        "asks": data["asks"],
        "capabilitiesNeeded": data.get("capabilitiesNeeded", []),
    }
    if data.get("summary"):
        fields["abstract"] = data["summary"]
    if "deadline" in data:
        fields |= {"deadline": data["deadline"], "timezone": data["timezone"]}
    if type_ == "Note":  # a call for public comment: the essentials lead the content
        fields["content"] = paragraph(call_summary(data)) + markdown_html(data["body"])
        return fields
    location = data["location"]
    place: dict[str, Any] = {"type": "Place", "name": location["name"]}
    if "address" in location:
        place["address"] = location["address"]
    for coord in ("latitude", "longitude"):
        if coord in location:
            place[coord] = location[coord]
    # Mastodon shows an Event as its name, this summary and a link: when there is room,
    # the body's first lines (where to meet, what to bring) come along
    essentials = call_summary(data)
    opening = first_lines(data["body"], SUMMARY_ROOM - len(essentials))
    fields |= {
        "summary": paragraph(essentials)
        + (paragraph(opening) if opening else ""),  # HTML: the author's text escaped
        "startTime": data["startTime"],
        "timezone": data["timezone"],
        "location": place,
    }
    if "endTime" in data:
        fields["endTime"] = data["endTime"]
    return fields


# -- incoming ---------------------------------------------------------------------------

_COPY = {
    "vision": ("horizon", "place", "institutions"),
    "call": (
        "startTime",
        "endTime",
        "deadline",
        "timezone",
        "urgency",
        "asks",
        "capabilitiesNeeded",
    ),
    "offer": ("capability", "areaServed", "availability", "howToAsk"),
    "proposal": ("endTime", "electorate"),
}


def movement_part(obj: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """The authoring-shaped movement fields of a normalized (compacted) object, or None
    when it names no movement kind. The caller validates the result with the schema."""
    kind = obj.get("kind")
    if kind not in _COPY:
        return None
    data: dict[str, Any] = {"title": obj.get("title") or obj.get("name")}
    source = obj.get("source")
    if isinstance(source, dict) and source.get("mediaType") == "text/markdown":
        data["body"] = source.get("content")
    if "abstract" in obj:
        data["summary"] = obj["abstract"]
    for key in _COPY[kind]:
        if key in obj:
            data[key] = obj[key]
    if kind == "call" and isinstance(obj.get("location"), dict):
        place = obj["location"]
        data["location"] = {
            k: place[k]
            for k in ("name", "address", "latitude", "longitude")
            if k in place
        }
    if kind == "proposal":
        key = "anyOf" if "anyOf" in obj else "oneOf"
        data["options"] = [
            o.get("name") for o in as_list(obj.get(key)) if isinstance(o, dict)
        ]
        data["multiple"] = key == "anyOf"
    clusters = [
        str(t["name"]).removeprefix("#").lower()
        for t in as_list(obj.get("tag"))
        if isinstance(t, dict) and t.get("type") == "Hashtag" and "name" in t
    ]
    if clusters:
        data["clusters"] = list(dict.fromkeys(clusters))
    return kind, {k: v for k, v in data.items() if v is not None}
