"""Amendments on the wire (pure): a group's proposed change to another group's vision.

An amendment is a public `Note` (`kind: amendment`, `amends`: the vision's IRI, `changes`:
the fields as the amendment would have them, a JSON literal; `statement`: why) from the
proposing actor with an FEP-8b32 proof, to its followers and the vision's author. A Mastodon
reader sees "Riders proposes an amendment to *title*", the reason and the proposed
wording. The author answers with `Accept` (the vision gets a new version) or `Reject` of it.
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Any

from federation.vocab.activities import PUBLIC, iso
from node.movement.versions import FIELDS
from node.movement.wire import context

KIND = "amendment"
LABELS = dict(FIELDS)


def build(
    *,
    amendment_id: str,
    actor: str,
    actor_name: str,
    followers: str,
    target: str,
    target_title: str,
    target_author: str,
    changes: dict[str, Any],
    statement: str,
    published: datetime,
) -> dict[str, Any]:
    """The (unsigned) amendment Note of `actor` to the vision `target`."""
    link = f'<a href="{escape(target)}">{escape(target_title)}</a>'
    content = f"<p>{escape(actor_name)} proposes an amendment to {link}.</p>"
    if statement:
        content += f"<p>{escape(statement)}</p>"
    for key, value in changes.items():
        text = str(value)
        shown = text if len(text) <= 400 else text[:400] + "…"
        content += (
            f"<p><strong>{escape(LABELS.get(key, key))}:</strong> {escape(shown)}</p>"
        )
    return {
        "@context": context(),
        "id": amendment_id,
        "type": "Note",
        "kind": KIND,
        "attributedTo": actor,
        "amends": target,
        "changes": changes,
        "statement": statement,
        "content": content,
        "published": iso(published),
        "url": amendment_id,
        "to": [PUBLIC],
        "cc": [followers, target_author],
        "tag": [{"type": "Mention", "href": target_author}],
    }


def read(obj: Any) -> tuple[str, str, dict[str, Any], str] | None:
    """(proposer, vision IRI, changes, statement) of an amendment Note, or None."""
    if not isinstance(obj, dict) or obj.get("kind") != KIND:
        return None
    actor, target = obj.get("attributedTo"), obj.get("amends")
    changes, statement = obj.get("changes"), obj.get("statement", "")
    if not isinstance(actor, str) or not isinstance(target, str):
        return None
    if not isinstance(changes, dict) or not isinstance(statement, str):
        return None
    return actor, target, changes, statement
