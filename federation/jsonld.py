"""JSON-LD normalization with bundled contexts only (pure: no fetching, ever).

Documents whose `@context` is already one we know are read as they are (pyld costs
milliseconds per document). So are documents whose inline context only adds terms of its
own, as Mastodon's, Misskey's and most servers' do: an entry that defines none of the
caller's terms (or defines them to the same IRIs) and uses no keyword that changes how
other terms expand (`@vocab`, `@base`, `@import`…) cannot change what the caller reads.
Anything else is expanded and compacted into the caller's context with a loader that
refuses every URL it was not given.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pyld import jsonld
from pyld.documentloader.frozen import BUNDLED_CONTEXTS, FrozenDocumentLoader

from federation.errors import FederationError


class NormalizationError(FederationError):
    """A document that cannot be read in our context (unknown context URL, bad JSON-LD)."""


def bundled() -> dict[str, Path | dict[str, Any]]:
    """The contexts pyld ships (ActivityStreams, security v1/v2, …)."""
    return dict(BUNDLED_CONTEXTS)


def normalize(
    document: dict[str, Any],
    *,
    context: list[Any],
    familiar: list[Any],
    documents: Mapping[str, Path | dict[str, Any]],
) -> dict[str, Any]:
    """`document` compacted into `context`; as is when its @context is in `familiar`.

    Raises:
        NormalizationError: when pyld cannot process it with `documents` alone.
    """
    ctx = document.get("@context")
    entries = ctx if isinstance(ctx, list) else [ctx]
    if entries and all(
        entry in familiar or _adds_only(entry, familiar) for entry in entries
    ):
        return document
    options = {"documentLoader": FrozenDocumentLoader(documents=dict(documents))}
    try:
        compacted: dict[str, Any] = jsonld.compact(
            document, {"@context": context}, options
        )
    except jsonld.JsonLdError as exc:
        msg = f"cannot normalize the document: {str(exc)[:200]}"
        raise NormalizationError(msg) from None
    compacted["@context"] = context
    return compacted


AS_NAMESPACE = "https://www.w3.org/ns/activitystreams#"
# keywords an inline context may carry without changing how any other term expands
_HARMLESS_KEYWORDS = frozenset({"@version", "@language", "@direction"})


def _prefixes(entry: Mapping[str, Any]) -> dict[str, str]:
    return {
        "as": AS_NAMESPACE,
        **{
            key: value
            for key, value in entry.items()
            if isinstance(value, str) and value.endswith(("#", "/")) and ":" not in key
        },
    }


def _expand(value: Any, prefixes: Mapping[str, str]) -> Any:
    """A term definition with its compact IRIs expanded (for comparing two definitions)."""
    if isinstance(value, str):
        head, sep, tail = value.partition(":")
        return prefixes[head] + tail if sep and head in prefixes else value
    if isinstance(value, dict):
        return {k: _expand(v, prefixes) for k, v in value.items()}
    return value


def _adds_only(entry: Any, familiar: list[Any]) -> bool:
    """Whether inline context `entry` leaves every term of the `familiar` inline contexts
    as they are: each of those it defines it defines to the same IRI."""
    if not isinstance(entry, dict):
        return False
    ours: dict[str, Any] = {}
    for known in familiar:
        if isinstance(known, dict):
            ours.update(known)
    mine, theirs = _prefixes(ours), _prefixes(entry)
    for key, value in entry.items():
        if key.startswith("@"):
            if key not in _HARMLESS_KEYWORDS:
                return False
            continue
        if isinstance(value, dict) and "@context" in value:
            return False  # a scoped context: terms inside its values may mean anything
        prefix = key.partition(":")[0] if ":" in key else None
        if prefix is not None and prefix in ours:
            return False  # a compact IRI in one of our namespaces, defined anew
        if key in ours and _expand(value, theirs) != _expand(ours[key], mine):
            return False
    return True
