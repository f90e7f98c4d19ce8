"""Golden tests: the exact Create we publish for every kind of movement object, and what a
Mastodon reader sees of it. Regenerate after an intended change with
`UPDATE_GOLDEN=1 python -m pytest tests/node/movement/test_golden.py` and review the diff.

Mastodon's rendering is modelled from its source (see ../shared INTEROP notes, section 1.5):
`Note` and `Question` show `content` (a Note's `summary` would be a content warning; a
Question also shows its options); the converted types (`Article`, `Event`, ...) show
`<h2>name</h2>` (which its sanitizer turns into `<p><strong>name</strong></p>`), then
`summary`, then a link to `url` — never `content`."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any

import pytest

from federation.vocab import activities
from node.movement.render import sanitize_html
from node.movement.schemas import validate
from node.movement.wire import Addressing, build_object
from tests.integration.test_movement import CALL, OFFER, PROPOSAL, VISION

GOLDEN = Path(__file__).parents[2] / "data" / "golden"
GROUP = "https://seattle.example/actors/tenants"
CLUSTERS = {
    "housing": "https://seattle.example/actors/housing",
    "transport": "https://seattle.example/actors/transport",
}
PUBLISHED = datetime(2026, 11, 20, 16, 30, tzinfo=UTC)
COMMENT_CALL = {
    "title": "Comment on the draft transit plan",
    "summary": "The city takes public comments on route cuts until Friday.",
    "body": "Tell them which buses you **need**.",
    "urgency": "normal",
    "asks": ["public-comment"],
    "clusters": ["transport"],
    "deadline": "2026-12-09T12:00:00-08:00",
    "timezone": "America/Los_Angeles",
}
CASES: dict[str, tuple[str, dict[str, Any], dict[str, Any]]] = {
    "vision": ("vision", VISION, {}),
    "call": ("call", CALL, {}),
    "call_comment": ("call", COMMENT_CALL, {}),
    "offer": ("offer", OFFER | {"audience": "followers"}, {}),
    "proposal": ("proposal", PROPOSAL, {}),
    "proposal_closed": (
        "proposal",
        PROPOSAL | {"multiple": True},
        {
            "tallies": {"Yes": 7, "Later": 2},
            "voters": 8,
            "closed": datetime(2026, 12, 20, 12, 0, tzinfo=UTC),
        },
    ),
}

CONVERTED_TYPES = {"Image", "Audio", "Video", "Article", "Page", "Event"}


def mastodon_display(obj: dict[str, Any]) -> str:
    """The HTML a Mastodon reader sees for `obj` (content warning, if any, first)."""
    if obj["type"] in CONVERTED_TYPES:
        url = obj.get("url") or obj["id"]
        title = f"<p><strong>{escape(obj['name'])}</strong></p>"
        parts = [title, obj.get("summary") or None]
        parts.append(f'<p><a href="{escape(url)}">{escape(url)}</a></p>')
        return sanitize_html("\n\n".join(p for p in parts if p))
    shown = ""
    if obj.get("summary"):
        shown += f"[content warning: {escape(obj['summary'])}]\n"
    shown += sanitize_html(obj["content"])
    for option in obj.get("oneOf", obj.get("anyOf", [])):
        marker = "( )" if "oneOf" in obj else "[ ]"
        shown += f"\n{marker} {option['name']}: {option['replies']['totalItems']}"
    return shown


def published_create(case: str) -> Any:
    kind, data, extra = CASES[case]
    assert validate(kind, data) == [], "golden inputs are valid authoring input"
    object_id = f"{GROUP}/objects/{case}"
    at = Addressing(
        object_id=object_id,
        actor=GROUP,
        followers=f"{GROUP}/followers",
        clusters={n: CLUSTERS[n] for n in data.get("clusters", [])},
        published=PUBLISHED,
    )
    obj = build_object(kind, data, at, **extra)
    return activities.create(id=f"{object_id}/activity", actor=GROUP, obj=obj)


def _golden(name: str, produced: str) -> str:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(produced, encoding="utf-8")
    return path.read_text(encoding="utf-8")


@pytest.mark.parametrize("case", CASES)
def test_the_exact_create_we_publish(case: str) -> None:
    produced = json.dumps(published_create(case), indent=2, ensure_ascii=False) + "\n"
    assert produced == _golden(f"{case}.json", produced)


@pytest.mark.parametrize("case", CASES)
def test_what_a_mastodon_reader_sees(case: str) -> None:
    produced = mastodon_display(published_create(case)["object"]) + "\n"
    assert produced == _golden(f"{case}.mastodon.html", produced)


# The essentials each kind must show in Mastodon (checked on the golden rendering).
ESSENTIALS: dict[str, list[Any]] = {
    "vision": [VISION["title"], "20 years", "Seattle", "social housing"],
    "call": [
        CALL["title"],
        "Sat 5 Dec 2026",
        "18:00",
        "America/Los_Angeles",
        "Seattle City Hall",
        "high",
        "legal",
        "medic",
    ],
    "call_comment": [
        "Comment on the draft transit plan",
        "comment publicly",
        "buses",
        "Comments close: Wed 9 Dec 2026, 12:00 PST (America/Los_Angeles)",
    ],
    "offer": [OFFER["title"], "legal", "King County", "weekday evenings", "legal@"],
    "proposal": [PROPOSAL["title"], "assembly decides", "( ) Yes: 0", "( ) Later: 0"],
    "proposal_closed": [PROPOSAL["title"], "[ ] Yes: 7", "[ ] No: 0", "[ ] Later: 2"],
}


@pytest.mark.parametrize("case", CASES)
def test_the_essentials_are_visible_in_mastodon(case: str) -> None:
    shown = mastodon_display(published_create(case)["object"])
    missing = [e for e in ESSENTIALS[case] if str(e).lower() not in shown.lower()]
    assert not missing, f"not visible in Mastodon: {missing}\n{shown}"


def test_a_note_never_carries_a_summary_mastodon_would_hide_content_behind() -> None:
    for case, (_kind, _data, _extra) in CASES.items():
        obj = published_create(case)["object"]
        if obj["type"] in {"Note", "Question"}:
            assert "summary" not in obj, case


def test_a_note_or_question_carries_its_title_but_never_a_name() -> None:
    """Takahē and others turn a Note's or Question's `name` into a content warning that
    hides everything else (issue 17): the title travels as mov:title, and leads the
    content."""
    for case, (_kind, data, _extra) in CASES.items():
        obj = published_create(case)["object"]
        if obj["type"] in {"Note", "Question"}:
            assert "name" not in obj, case
            assert obj["title"] == data["title"], case
            assert data["title"] in sanitize_html(obj["content"]), case
        else:
            assert obj["name"] == data["title"], case


def test_an_events_summary_brings_the_bodys_opening_while_there_is_room() -> None:
    """Where to meet and what to bring reach a Mastodon timeline (it never shows an
    Event's content), in whole lines, and the summary stays within its room."""
    from node.movement.render import first_lines
    from node.movement.wire import SUMMARY_ROOM, call_summary

    shown = mastodon_display(published_create("call")["object"])
    assert "We meet at the steps at 17:30. Bring signs." in shown
    long = CALL | {"body": "Meet at the steps.\n\n" + "x" * 600 + "\n\nBring signs."}
    object_id = f"{GROUP}/objects/long"
    at = Addressing(
        object_id=object_id,
        actor=GROUP,
        followers=f"{GROUP}/followers",
        clusters={n: CLUSTERS[n] for n in long["clusters"]},
        published=PUBLISHED,
    )
    obj = build_object("call", long, at)
    plain = sanitize_html(obj["summary"]).replace("</p><p>", " ")
    assert "Meet at the steps." in plain
    assert "x" * 50 not in plain  # the long line does not fit: not cut, left out
    assert "Bring signs" not in plain  # nothing after what did not fit
    assert len(call_summary(long)) + len("Meet at the steps.") <= SUMMARY_ROOM
    assert first_lines("**one**\n\ntwo", 3) == "one"
    assert first_lines("a very long first line", 5) == ""


def _endorsement() -> dict[str, Any]:
    """The exact endorsement Note we publish, signed with a fixed Ed25519 key (Ed25519
    signatures are deterministic, so the proof is part of the golden file)."""
    from cryptography.hazmat.primitives.asymmetric import ed25519

    from federation import proofs
    from node.movement import endorsing

    key = ed25519.Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    riders = "https://portland.example/actors/riders"
    note = endorsing.build(
        endorsement_id=f"{riders}/objects/endorsement",
        actor=riders,
        actor_name="Riders Alliance",
        followers=f"{riders}/followers",
        target=f"{GROUP}/objects/vision",
        target_title=str(VISION["title"]),
        target_kind="vision",
        target_author=GROUP,
        statement="Our routes lead there: we sign.",
        published=PUBLISHED,
    )
    signed = proofs.sign(
        note, key, verification_method=f"{riders}#ed25519-key", created=PUBLISHED
    )
    assert endorsing.read(signed) == (
        riders,
        f"{GROUP}/objects/vision",
        "Our routes lead there: we sign.",
    )
    return signed


def test_the_exact_endorsement_we_publish_and_what_mastodon_shows() -> None:
    obj = _endorsement()
    produced = json.dumps(obj, indent=2, ensure_ascii=False) + "\n"
    assert produced == _golden("endorsement.json", produced)
    shown = mastodon_display(obj) + "\n"
    assert shown == _golden("endorsement.mastodon.html", shown)
    for essential in ("Riders Alliance endorses", str(VISION["title"]), "Our routes"):
        assert essential in shown
    assert "summary" not in obj


def _amendment_and_plan_item() -> tuple[dict[str, Any], dict[str, Any]]:
    from node.movement import amending, planning

    riders = "https://portland.example/actors/riders"
    vision = f"{GROUP}/objects/vision"
    amendment = amending.build(
        amendment_id=f"{riders}/objects/amendment",
        actor=riders,
        actor_name="Riders Alliance",
        followers=f"{riders}/followers",
        target=vision,
        target_title=str(VISION["title"]),
        target_author=GROUP,
        changes={"title": "A city where no one is displaced, and everyone moves"},
        statement="Housing and transit are one struggle.",
        published=PUBLISHED,
    )
    item = planning.build(
        item_id=f"{riders}/objects/item",
        owner=riders,
        owner_name="Riders Alliance",
        followers=f"{riders}/followers",
        vision=vision,
        vision_title=str(VISION["title"]),
        vision_author=GROUP,
        title="Map every vacant lot",
        status="underway",
        due="2027-03-01",
        progress=[{"at": "2026-11-20T16:30:00+00:00", "note": "Half the districts."}],
        published=PUBLISHED,
    )
    return amendment, item


def test_the_exact_amendment_and_plan_item_we_publish_and_what_mastodon_shows() -> None:
    from node.movement import amending, planning

    amendment, item = _amendment_and_plan_item()
    for name, obj in (("amendment", amendment), ("plan_item", item)):
        produced = json.dumps(obj, indent=2, ensure_ascii=False) + "\n"
        assert produced == _golden(f"{name}.json", produced)
        shown = mastodon_display(obj) + "\n"
        assert shown == _golden(f"{name}.mastodon.html", shown)
        assert "summary" not in obj
    shown = mastodon_display(amendment)
    for essential in ("proposes an amendment", "one struggle", "everyone moves"):
        assert essential in shown
    shown = mastodon_display(item)
    for essential in ("Map every vacant lot", "under way", "2027-03-01", "Half the"):
        assert essential in shown
    assert amending.read(amendment) is not None
    assert planning.read(item) is not None
