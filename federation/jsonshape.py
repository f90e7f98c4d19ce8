"""Untrusted JSON: parsed without a crash, within limits of nesting depth and array
length, and with no NUL character nor lone surrogate in any string (PostgreSQL text cannot
hold either: "\\u0000" and an unpaired "\\ud800" are valid JSON escapes all the same)."""

from __future__ import annotations

import json
import re
from typing import Any

from federation.errors import DocumentError

MAX_DEPTH = 64
MAX_ARRAY = 10_000
# what a JSON text needs to hold a NUL or a surrogate in a string: a \u escape of one
# (a raw NUL or other control character inside a string is not JSON at all)
_RISKY_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")


def check_shape(
    value: Any, *, max_depth: int = MAX_DEPTH, max_array: int = MAX_ARRAY
) -> None:
    """Refuse documents nested deeper than `max_depth` or with huge arrays.

    Raises:
        DocumentError: naming the limit broken.
    """
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > max_depth:
                msg = f"JSON nested deeper than {max_depth}"
                raise DocumentError(msg, code="too_deep", status=400)
            if isinstance(item, list):
                if len(item) > max_array:
                    msg = f"JSON array longer than {max_array}"
                    raise DocumentError(msg, code="array_too_long", status=400)
                stack.extend((child, depth + 1) for child in item)
            else:
                for key, child in item.items():
                    _check_text(key)
                    stack.append((child, depth + 1))
        elif isinstance(item, str):
            _check_text(item)


def _check_text(text: str) -> None:
    if "\x00" in text:
        msg = "JSON text holds a NUL character"
        raise DocumentError(msg, code="nul_in_text", status=400)
    if not text.isascii():
        try:
            text.encode()
        except UnicodeEncodeError:
            msg = "JSON text holds a lone surrogate (not a Unicode character)"
            raise DocumentError(msg, code="bad_unicode", status=400) from None


def _cannot_break_limits(raw: bytes | str, max_depth: int) -> bool:
    """True when `raw` (valid JSON) cannot break check_shape's limits, seen from its bytes
    alone: fewer brackets than the depth allowed, fewer commas than the array length, no
    escape of a NUL or a surrogate (a valid pair of them included: then it is checked)."""
    try:
        data = raw.encode() if isinstance(raw, str) else raw
    except UnicodeEncodeError:  # a str already holding a lone surrogate
        return False
    # UTF-16 or UTF-32 (json.loads reads them too): their escapes look otherwise
    if b"\x00" in data:
        return False
    return (
        data.count(b"{") + data.count(b"[") <= max_depth
        and data.count(b",") < MAX_ARRAY
        and _RISKY_ESCAPE.search(data) is None
    )


def parse(raw: bytes | str, *, max_depth: int = MAX_DEPTH) -> Any:
    """`raw` as JSON, checked with check_shape.

    Raises:
        DocumentError: not JSON (`not_json`), too deep (`too_deep`: also what the parser
            itself cannot descend), an array too long (`array_too_long`), a NUL
            (`nul_in_text`) or a lone surrogate (`bad_unicode`) in a string (status 400).
    """
    try:
        value = json.loads(raw)
    except RecursionError:
        msg = f"JSON nested deeper than {max_depth}"
        raise DocumentError(msg, code="too_deep", status=400) from None
    except (ValueError, UnicodeDecodeError) as exc:
        msg = f"the body is not JSON: {exc}"
        raise DocumentError(msg, code="not_json", status=400) from None
    if not _cannot_break_limits(raw, max_depth):  # most documents: nothing to walk
        check_shape(value, max_depth=max_depth)
    return value
