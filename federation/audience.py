"""Who may read what (pure): the one rule every read path applies.

An object is public when it is addressed to the Public collection (in any of the forms
servers write it); otherwise only its author, the actors it names, and, when it is
addressed to its author's followers collection, the author's accepted followers may read
it. Storage queries that serve anonymous readers filter on the stored `public` flag, which
is `can_read(audience, ANONYMOUS)`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from federation.vocab.activities import PUBLIC
from federation.vocab.read import addressed, id_of

PUBLIC_FORMS = frozenset({PUBLIC, "as:Public", "Public"})


@dataclass(frozen=True, slots=True)
class Audience:
    """Whom an object is for."""

    public: bool
    author: str | None = None
    addressed: frozenset[str] = frozenset()
    to_followers: bool = False  # addressed to the author's followers collection

    @classmethod
    def of(cls, document: dict[str, Any]) -> Audience:
        """Read from an object's `to`, `cc` and `attributedTo`."""
        names = addressed(document)
        author = id_of(document.get("attributedTo"))
        return cls(
            public=bool(names & PUBLIC_FORMS),
            author=author,
            addressed=names,
            to_followers=author is not None and f"{author}/followers" in names,
        )


@dataclass(frozen=True, slots=True)
class Reader:
    """Who asks: an actor proven by a signature or a token, or nobody (anonymous)."""

    actor: str | None = None
    follows_author: bool = False  # an accepted follower of the object's author


ANONYMOUS = Reader()


def can_read(audience: Audience, reader: Reader) -> bool:
    if audience.public:
        return True
    if reader.actor is None:
        return False
    if reader.actor == audience.author or reader.actor in audience.addressed:
        return True
    return audience.to_followers and reader.follows_author
