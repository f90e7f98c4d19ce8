"""Untrusted JSON: parsed without a crash, within limits of nesting depth and array
length, and with no NUL character in any string (PostgreSQL text cannot hold one)."""

from __future__ import annotations

import json
from typing import Any

from federation.errors import DocumentError

MAX_DEPTH = 64
MAX_ARRAY = 10_000


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
                    if "\x00" in key:
                        _nul()
                    stack.append((child, depth + 1))
        elif isinstance(item, str) and "\x00" in item:
            _nul()


def _nul() -> None:
    msg = "JSON text holds a NUL character"
    raise DocumentError(msg, code="nul_in_text", status=400)


def parse(raw: bytes | str, *, max_depth: int = MAX_DEPTH) -> Any:
    """`raw` as JSON, checked with check_shape.

    Raises:
        DocumentError: not JSON (`not_json`), too deep (`too_deep`: also what the parser
            itself cannot descend), an array too long, a NUL in a string (status 400).
    """
    try:
        value = json.loads(raw)
    except RecursionError:
        msg = f"JSON nested deeper than {max_depth}"
        raise DocumentError(msg, code="too_deep", status=400) from None
    except (ValueError, UnicodeDecodeError) as exc:
        msg = f"the body is not JSON: {exc}"
        raise DocumentError(msg, code="not_json", status=400) from None
    check_shape(value, max_depth=max_depth)
    return value
