"""The docs' examples are true: every authoring example validates against schemas/, and
every JSON block in the docs is JSON."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from node.movement.schemas import KINDS, validate

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", ROOT / "FEDERATION.md", ROOT / "schemas" / "README.md"]
DOCS += sorted((ROOT / "docs").glob("*.md"))
EXAMPLE = re.compile(r"<!-- example: (\w+) -->\s*```json\n(.*?)```", re.S)
JSON_BLOCK = re.compile(r"```json\n(.*?)```", re.S)


def examples() -> list[tuple[str, str, Any]]:
    """(where, kind, data) of every marked authoring example in the docs."""
    found = []
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        for n, (kind, block) in enumerate(EXAMPLE.findall(text)):
            found.append((f"{doc.relative_to(ROOT)}#{n}", kind, json.loads(block)))
    return found


@pytest.mark.parametrize(
    ("where", "kind", "data"), examples(), ids=[w for w, *_ in examples()]
)
def test_every_authoring_example_in_the_docs_is_valid(
    where: str, kind: str, data: Any
) -> None:
    assert kind in KINDS, f"{where}: unknown kind {kind}"
    assert validate(kind, data) == [], where


def test_the_docs_show_an_example_of_every_kind() -> None:
    assert {kind for _w, kind, _d in examples()} == set(KINDS)


@pytest.mark.parametrize("doc", DOCS, ids=lambda d: str(d.relative_to(ROOT)))
def test_every_json_block_in_the_docs_parses(doc: Path) -> None:
    for block in JSON_BLOCK.findall(doc.read_text(encoding="utf-8")):
        json.loads(block)
