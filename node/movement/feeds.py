"""Atom and iCalendar documents of public movement objects (pure: views in, bytes out),
built with feedgen and icalendar rather than by hand."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from feedgen.feed import FeedGenerator
from icalendar import Calendar, Event

from node.movement.present import ObjectView


def atom(
    *,
    feed_id: str,
    title: str,
    subtitle: str,
    page_url: str,
    feed_url: str,
    items: Sequence[ObjectView],
    updated: datetime,
) -> bytes:
    """An Atom feed of `items` (newest first), each entry linking to its page."""
    feed = FeedGenerator()
    feed.id(feed_id)
    feed.title(title)
    feed.subtitle(subtitle or title)
    feed.link(href=page_url, rel="alternate", type="text/html")
    feed.link(href=feed_url, rel="self", type="application/atom+xml")
    feed.updated(max((i.published for i in items), default=updated))
    for item in reversed(items):  # feedgen prepends: add oldest first
        entry = feed.add_entry()
        entry.id(item.id)
        entry.title(f"{item.label}: {item.title}")
        entry.link(href=item.id, rel="alternate", type="text/html")
        entry.author(name=item.author)
        entry.published(item.published)
        entry.updated(item.published)
        if item.summary:
            entry.summary(item.summary)
        entry.content(item.html, type="html")
        for cluster in item.clusters:
            entry.category(term=cluster)
    document: bytes = feed.atom_str(pretty=False)
    return document


def icalendar(
    *, name: str, url: str, items: Sequence[ObjectView], stamp: datetime
) -> bytes:
    """An iCalendar feed of the calls to action among `items` that have a time."""
    calendar = Calendar()
    calendar.add("prodid", "-//movement-node//calls to action//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    calendar.add("url", url)
    for item in items:
        if item.start is None:
            continue
        event = Event()
        event.add("uid", item.id)
        event.add("dtstamp", stamp)
        event.add("created", item.published)
        event.add("dtstart", item.start)
        event.add("dtend", item.end or item.start + timedelta(hours=1))
        event.add("summary", item.title)
        description = "\n\n".join(filter(None, [item.summary, _plain(item)]))
        event.add("description", description + f"\n\n{item.id}")
        if item.where:
            event.add("location", item.where)
        event.add("url", item.id)
        urgency = item.fields.get("urgency")
        if urgency in ("high", "critical"):
            event.add("priority", 1 if urgency == "critical" else 3)
        for cluster in item.clusters:
            event.add("categories", cluster)
        calendar.add_component(event)
    # each event's times are in its IANA zone (TZID=America/Los_Angeles): the calendar
    # carries those zones' definitions (VTIMEZONE), so no reader has to guess them
    calendar.add_missing_timezones()
    document: bytes = calendar.to_ical()
    return document


def _plain(item: ObjectView) -> str:
    return "; ".join(f"{label}: {text}" for label, text in item.details if text)
