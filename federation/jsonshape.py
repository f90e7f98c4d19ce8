"""Shape limits for untrusted JSON: nesting depth and array length."""

from __future__ import annotations

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
                stack.extend((child, depth + 1) for child in item.values())
