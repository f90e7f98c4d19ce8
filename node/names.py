"""Local actor names: one name space for node, groups, clusters, confederations, members."""

from __future__ import annotations

import re

NAME_RE = re.compile(r"[a-z0-9_-]{1,64}")
RESERVED = frozenset(
    {"actor", "inbox", "api", "admin", "well-known", "static", "healthz"}
)


HASHTAG_RE = re.compile(r"[a-z0-9_]{1,64}")


class InvalidNameError(ValueError):
    """The name breaks the naming rule."""


def check_name(name: str) -> str:
    """Return `name` if it is a valid local actor name.

    Raises:
        InvalidNameError: with a sentence saying what is allowed.
    """
    if not NAME_RE.fullmatch(name):
        msg = f"invalid name {name!r}: use 1-64 lowercase letters, digits, '_' or '-'"
        raise InvalidNameError(msg)
    if name in RESERVED:
        msg = f"the name {name!r} is reserved"
        raise InvalidNameError(msg)
    return name


def check_cluster_name(name: str) -> str:
    """A cluster's name is also its hashtag, and Mastodon hashtags stop at '-'.

    Raises:
        InvalidNameError: with a sentence saying what is allowed.
    """
    if not HASHTAG_RE.fullmatch(name):
        hint = re.sub(r"[^a-z0-9_]+", "_", name.lower()).strip("_")[:64]
        also = f"; try {hint!r}" if hint and hint != name else ""
        msg = (
            f"invalid cluster name {name!r}: it is also a hashtag, so use 1-64 lowercase "
            f"letters, digits and '_' only (no '-' or spaces){also}"
        )
        raise InvalidNameError(msg)
    return check_name(name)
