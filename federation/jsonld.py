"""JSON-LD normalization with bundled contexts only (pure: no fetching, ever).

Documents whose `@context` is already one we know are read as they are (pyld costs
milliseconds per document); anything else is expanded and compacted into the caller's
context with a loader that refuses every URL it was not given.
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
    if entries and all(entry in familiar for entry in entries):
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
