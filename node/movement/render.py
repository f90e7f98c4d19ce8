"""Markdown -> HTML, and every HTML we store or show sanitized to what Mastodon keeps (pure).

markdown-it-py renders CommonMark with raw HTML disabled (it is escaped, never passed on);
nh3 then keeps only Mastodon's allowed tags and attributes, so remote HTML goes through the
same gate as our own.
"""

from __future__ import annotations

import functools
from html import escape, unescape as html_unescape

import nh3
from markdown_it import MarkdownIt

# Mastodon's sanitizer (Sanitize::Config::MASTODON_STRICT) keeps these.
ALLOWED_TAGS = frozenset(
    {
        "p",
        "br",
        "span",
        "a",
        "del",
        "s",
        "pre",
        "blockquote",
        "code",
        "b",
        "strong",
        "u",
        "i",
        "em",
        "ul",
        "ol",
        "li",
    }
)
ALLOWED_ATTRIBUTES = {
    "a": {"href", "class", "title"},
    "span": {"class"},
    "ol": {"start", "reversed"},
    "li": {"value"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})


@functools.cache
def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "breaks": True}).disable("image")


def sanitize_html(html: str) -> str:
    """Only Mastodon's tags and attributes; links get rel=nofollow noopener noreferrer."""
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="nofollow noopener noreferrer",
        strip_comments=True,
    )


def markdown_html(text: str) -> str:
    """Markdown as sanitized HTML; headings become bold paragraphs (Mastodon drops h1-h6)."""
    html = _markdown().render(text)
    for level in range(1, 7):
        html = html.replace(f"<h{level}>", "<p><strong>").replace(
            f"</h{level}>", "</strong></p>"
        )
    return sanitize_html(html.replace("<hr />", "")).strip()


def paragraph(text: str) -> str:
    return f"<p>{escape(text)}</p>"


def first_lines(markdown: str, room: int) -> str:
    """The Markdown's opening as plain text, whole lines only, within `room` characters
    ("" when not even the first line fits)."""
    html = _markdown().render(markdown).replace("</p>", "\n").replace("<br />", "\n")
    text = html_unescape(nh3.clean(html, tags=set()))
    kept: list[str] = []
    for line in (part.strip() for part in text.splitlines()):
        if not line:
            continue
        if len(" ".join([*kept, line])) > room:
            break
        kept.append(line)
    return " ".join(kept)
