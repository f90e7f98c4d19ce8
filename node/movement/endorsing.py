"""Endorsements on the wire (pure): a group's signature under a vision ("we share it") or a
call to action ("we will mobilise for this"), and reading one that arrives.

An endorsement is a public `Note` (`kind: endorsement`, `endorses`: the object's IRI,
`statement`) from the endorsing actor, carrying an FEP-8b32 proof by that actor's Ed25519
key, so whoever holds it — the author's node, a relay, a reader years later — can check it
without asking anyone. A Mastodon follower of the endorsing group sees a post: the statement
and the endorsed object quoted (FEP-044f `quote`, FEP-e232 link, Misskey's `_misskey_quote`,
which Mastodon, Misskey and others show as a quote post, and everyone else as a link).
Withdrawing it is its `Delete`. A `Group`'s endorsement is a signature; anyone else's is
support, counted apart.
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Any

from federation.vocab.activities import PUBLIC, iso
from node.movement.wire import context

KIND = "endorsement"
SIGNATORY_TYPES = frozenset({"Group", "Organization"})
AP = "application/activity+json"
ENDORSABLE = frozenset({"vision", "call"})


def build(
    *,
    endorsement_id: str,
    actor: str,
    actor_name: str,
    followers: str,
    target: str,
    target_title: str,
    target_kind: str,
    target_author: str,
    statement: str,
    published: datetime,
) -> dict[str, Any]:
    """The (unsigned) endorsement Note of `actor` for the object `target`."""
    verb = "will mobilise for" if target_kind == "call" else "endorses"
    link = f'<a href="{escape(target)}">{escape(target_title)}</a>'
    content = f"<p>{escape(actor_name)} {verb} {link}.</p>"
    if statement:
        content += f"<p>{escape(statement)}</p>"
    return {
        "@context": [*context(), {"quote": "https://w3id.org/fep/044f#quote"}],
        "id": endorsement_id,
        "type": "Note",
        "kind": KIND,
        "attributedTo": actor,
        "endorses": target,
        "statement": statement,
        "content": content,
        "published": iso(published),
        "url": endorsement_id,
        "to": [PUBLIC],
        "cc": [followers, target_author],
        "tag": [
            {"type": "Mention", "href": target_author},
            {"type": "Link", "mediaType": AP, "href": target, "name": f"RE: {target}"},
        ],
        "quote": target,
        "_misskey_quote": target,
        "quoteUri": target,
    }


def read(obj: Any) -> tuple[str, str, str] | None:
    """(endorser, endorsed IRI, statement) of an endorsement Note as received, or None
    when `obj` is not one."""
    if not isinstance(obj, dict) or obj.get("kind") != KIND:
        return None
    actor, target = obj.get("attributedTo"), obj.get("endorses")
    statement = obj.get("statement", "")
    if not isinstance(actor, str) or not isinstance(target, str):
        return None
    if not isinstance(statement, str) or len(statement) > 500:
        return None
    return actor, target, statement
