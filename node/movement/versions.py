"""What changed between two versions of a vision (pure): field by field, the text line by
line, as a person reads a diff — what was taken out, what was put in."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

FIELDS = (
    ("title", "Title"),
    ("summary", "Summary"),
    ("horizon", "Horizon (years)"),
    ("place", "Place"),
    ("body", "Text"),
)


@dataclass(frozen=True, slots=True)
class Change:
    key: str
    label: str
    removed: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)


def changes(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """The fields that differ from `old` to `new`; for the text, only the lines that went
    and came (paragraph order kept)."""
    found = []
    for key, label in FIELDS:
        before, after = str(old.get(key, "")), str(new.get(key, ""))
        if before == after:
            continue
        if key != "body":
            found.append(
                Change(key, label, [before] if before else [], [after] if after else [])
            )
            continue
        lines = list(difflib.ndiff(before.splitlines(), after.splitlines()))
        found.append(
            Change(
                key,
                label,
                [
                    line[2:]
                    for line in lines
                    if line.startswith("- ") and line[2:].strip()
                ],
                [
                    line[2:]
                    for line in lines
                    if line.startswith("+ ") and line[2:].strip()
                ],
            )
        )
    return found
