"""Local actor names: one name space for node, groups, clusters, confederations, members."""

from __future__ import annotations

import re

NAME_RE = re.compile(r"[a-z0-9_-]{1,64}")
RESERVED = frozenset(
    {"actor", "inbox", "api", "admin", "well-known", "static", "healthz"}
)


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
