"""Caps on the objects we keep from other servers (pure). An object over any cap is not
stored (never truncated: a cut text could say something its author did not), and the
activity that brought it is recorded as ignored. FEDERATION.md lists the caps."""

from __future__ import annotations

from typing import Any

MAX_TEXT = 100_000  # characters of content / summary / source (HTML included)
MAX_NAME = 1_000  # characters of a name (a title, a poll option)
MAX_TAGS = (
    64  # hashtags, mentions and emoji together (Mastodon caps local posts near it)
)
MAX_ADDRESSED = 200  # to + cc + bto + bcc + audience entries
MAX_ATTACHMENTS = 16
MAX_OPTIONS = 64  # poll options (oneOf / anyOf)


def oversized(obj: dict[str, Any]) -> str | None:
    """What cap `obj` breaks, as a sentence, or None."""
    for key in ("content", "summary"):
        value = obj.get(key)
        if isinstance(value, str) and len(value) > MAX_TEXT:
            return f"{key} longer than {MAX_TEXT} characters"
    source = obj.get("source")
    if isinstance(source, dict):
        text = source.get("content")
        if isinstance(text, str) and len(text) > MAX_TEXT:
            return f"source longer than {MAX_TEXT} characters"
    name = obj.get("name")
    if isinstance(name, str) and len(name) > MAX_NAME:
        return f"name longer than {MAX_NAME} characters"
    counts = {
        "tags": (_count(obj.get("tag")), MAX_TAGS),
        "addressees": (
            sum(_count(obj.get(k)) for k in ("to", "cc", "bto", "bcc", "audience")),
            MAX_ADDRESSED,
        ),
        "attachments": (_count(obj.get("attachment")), MAX_ATTACHMENTS),
        "poll options": (
            _count(obj.get("oneOf")) + _count(obj.get("anyOf")),
            MAX_OPTIONS,
        ),
    }
    for what, (count, cap) in counts.items():
        if count > cap:
            return f"more than {cap} {what}"
    for option in [*_list(obj.get("oneOf")), *_list(obj.get("anyOf"))]:
        label = option.get("name") if isinstance(option, dict) else None
        if isinstance(label, str) and len(label) > MAX_NAME:
            return f"a poll option longer than {MAX_NAME} characters"
    return None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else ([] if value is None else [value])


def _count(value: Any) -> int:
    return len(_list(value))
