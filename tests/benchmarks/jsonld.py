"""Reading received objects: prints figures (no assertions).

Run: python -m tests.benchmarks.jsonld

`read_object` of a Mastodon status with Mastodon's own inline `@context` (as its
ActivityPub::Adapter builds it), which the fast path recognises, against the same status
with one context URL we do not treat as familiar, which goes through pyld — the ceiling
here is the fast path, the floor what every unfamiliar document still costs.
"""

from __future__ import annotations

import copy
import timeit

from node.logging import configure_logging
from node.movement.incoming import read_object
from tests.federation.test_jsonld import MASTODON_CONTEXT, NOTE


def main() -> None:
    configure_logging(json=True, level="error")
    fast = {"@context": copy.deepcopy(MASTODON_CONTEXT), **NOTE}
    slow = {
        "@context": [*copy.deepcopy(MASTODON_CONTEXT), "https://w3id.org/security/v2"],
        **NOTE,
    }
    runs = {"fast": 2000, "slow": 100}
    f = (
        timeit.timeit(lambda: read_object(fast), number=runs["fast"])
        / runs["fast"]
        * 1000
    )
    s = (
        timeit.timeit(lambda: read_object(slow), number=runs["slow"])
        / runs["slow"]
        * 1000
    )
    print(
        f"read_object, Mastodon's context: {f:.3f} ms (recognised, no JSON-LD processing)"
    )
    print(
        f"read_object, an unfamiliar context URL: {s:.3f} ms (pyld compaction): {s / f:.0f}x the first"
    )


if __name__ == "__main__":
    main()
