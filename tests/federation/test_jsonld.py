"""Reading a received document in our context: the fast path for contexts that only add
terms of their own (Mastodon's, as its ActivityPub::Adapter builds it), and the JSON-LD
path for any context that could change what we read."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pyld import jsonld

from federation.jsonld import bundled, normalize
from node.movement.incoming import read_object
from node.movement.schemas import context_terms
from node.movement.wire import AS_CONTEXT, SECURITY_CONTEXT, context

# Mastodon 4.x's status context (app/lib/activitypub/adapter.rb: the named contexts, then
# the extensions a Note with a hashtag, a poll and media carries)
MASTODON_CONTEXT: list[Any] = [
    "https://www.w3.org/ns/activitystreams",
    {
        "ostatus": "http://ostatus.org#",
        "atomUri": "ostatus:atomUri",
        "inReplyToAtomUri": "ostatus:inReplyToAtomUri",
        "conversation": "ostatus:conversation",
        "sensitive": "as:sensitive",
        "toot": "http://joinmastodon.org/ns#",
        "votersCount": "toot:votersCount",
        "Hashtag": "as:Hashtag",
        "blurhash": "toot:blurhash",
        "focalPoint": {"@container": "@list", "@id": "toot:focalPoint"},
        "Emoji": "toot:Emoji",
    },
]

NOTE = {
    "id": "https://mastodon.example/users/ana/statuses/1",
    "type": "Note",
    "attributedTo": "https://mastodon.example/users/ana",
    "to": ["https://www.w3.org/ns/activitystreams#Public"],
    "content": "<p>Rent strike meeting tonight #housing</p>",
    "tag": [
        {
            "type": "Hashtag",
            "name": "#housing",
            "href": "https://mastodon.example/tags/housing",
        }
    ],
    "sensitive": False,
    "atomUri": "https://mastodon.example/users/ana/statuses/1",
    "conversation": "tag:mastodon.example,2026-12-01:objectId=1:objectType=Conversation",
}


# a call as our wire format carries it (valid: it is read as ours when the terms are ours)
CALL = {
    "type": "Event",
    "kind": "call",
    "title": "Blockade at dawn",
    "urgency": "critical",
    "startTime": "2026-12-05T06:00:00Z",
    "timezone": "UTC",
    "location": {"type": "Place", "name": "The port gate"},
    "asks": ["turnout"],
    "source": {"content": "Meet at the gate.", "mediaType": "text/markdown"},
}


def _normalize(doc: dict[str, Any]) -> dict[str, Any]:
    return normalize(
        doc,
        context=context(),
        familiar=[AS_CONTEXT, SECURITY_CONTEXT, context_terms()],
        documents=bundled(),
    )


@pytest.fixture
def no_pyld(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: Any, **__: Any) -> Any:
        raise AssertionError("pyld was called")

    monkeypatch.setattr(jsonld, "compact", refuse)


def test_mastodons_own_context_is_read_without_json_ld_processing(
    no_pyld: None,
) -> None:
    doc = {"@context": copy.deepcopy(MASTODON_CONTEXT), **NOTE}
    assert _normalize(doc) is doc
    received = read_object(doc)
    assert received.public
    assert received.kind is None  # a plain post


def test_the_fast_path_reads_what_json_ld_processing_reads() -> None:
    """The same Mastodon-shaped call (with our terms in our context beside Mastodon's)
    gives the same movement part through either path."""
    ours = {"@context": [*MASTODON_CONTEXT, context_terms()], **NOTE, **CALL}
    fast = read_object(ours)
    # a context URL that is not one of ours sends it through pyld
    unfamiliar = [*MASTODON_CONTEXT, "https://w3id.org/security/v2", context_terms()]
    slow = read_object({**ours, "@context": unfamiliar})
    assert fast.kind == "call"
    assert (fast.kind, fast.fields) == (slow.kind, slow.fields)


@pytest.mark.parametrize(
    "entry",
    [
        {
            "kind": "http://other.example/ns#kind"
        },  # one of our terms, meaning something else
        {"mov": "http://other.example/ns#"},  # our namespace's prefix, elsewhere
        {"mov:kind": {"@type": "@id"}},  # a compact IRI in our namespace, defined anew
        {
            "@vocab": "http://other.example/ns#"
        },  # changes how every unknown term expands
        {"@import": "https://other.example/context.jsonld"},
        {"where": {"@id": "as:location", "@context": {"kind": "http://x.example/k"}}},
    ],
)
def test_a_context_that_could_change_what_we_read_goes_through_json_ld(
    entry: dict[str, Any],
) -> None:
    doc = {"@context": [*MASTODON_CONTEXT, entry], **NOTE, "kind": "call"}
    called: list[bool] = []
    real = jsonld.compact

    def spy(*args: Any, **kwargs: Any) -> Any:
        called.append(True)
        return real(*args, **kwargs)

    jsonld.compact = spy
    try:
        read_object(doc)
    finally:
        jsonld.compact = real
    assert called, "read without JSON-LD processing"


def test_a_redefined_term_of_ours_is_not_read_as_ours() -> None:
    theirs = {"kind": "http://other.example/ns#kind"}
    doc = {"@context": [*MASTODON_CONTEXT, context_terms(), theirs], **NOTE, **CALL}
    assert read_object(doc).kind is None
    # the same document with our meaning of `kind` is a call
    assert (
        read_object({**doc, "@context": [*MASTODON_CONTEXT, context_terms()]}).kind
        == "call"
    )
