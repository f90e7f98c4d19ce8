"""The movement vocabulary's files (`schemas/`) loaded once, and validation against them.

`schemas/` is data: the JSON Schemas and the JSON-LD context. Authoring input (API and CLI)
and incoming objects (after normalization) are checked by the same validators; checks a
JSON Schema cannot express (an end after its start) live in `semantic_errors`.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from datetime import date, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import referencing

from node.movement import zones

KINDS = ("vision", "call", "offer", "proposal")
DOCUMENTS = (
    *KINDS,
    "charter",
    "endorsement",
    "amendment",
    "plan_item",
)  # every schema: the movement kinds, a charter, endorsements, amendments, plan items
BASE_ID = "https://w3id.org/movement-node/schemas/"


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str  # a JSON pointer-like dotted path, "" for the whole object
    message: str

    def as_json(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


def schemas_dir() -> Path:
    """Where the vocabulary files are: packaged as node/_schemas, or the repo's schemas/."""
    packaged = resources.files("node") / "_schemas"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "schemas"


@functools.cache
def load(name: str) -> dict[str, Any]:
    """A file of `schemas/` as JSON (`context.jsonld`, `vision.schema.json`, …)."""
    loaded: dict[str, Any] = json.loads((schemas_dir() / name).read_text("utf-8"))
    return loaded


def context_terms() -> dict[str, Any]:
    """Our inline JSON-LD context (the object published beside AS2 and security)."""
    terms: dict[str, Any] = load("context.jsonld")["@context"]
    return terms


FORMATS = jsonschema.FormatChecker(formats=())


def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        msg = "a date-time needs an offset (Z or ±hh:mm)"
        raise ValueError(msg)
    return True


def _is_timezone(value: object) -> bool:
    if isinstance(value, str):
        zones.check(value)
    return True


def _is_date(value: object) -> bool:
    if isinstance(value, str):
        date.fromisoformat(value)
    return True


FORMATS.checks("date-time", raises=ValueError)(_is_date_time)
FORMATS.checks("date", raises=ValueError)(_is_date)
FORMATS.checks("timezone", raises=zones.UnknownZoneError)(_is_timezone)


@functools.cache
def _registry() -> referencing.Registry[Any]:
    names = ["common", *DOCUMENTS]
    resources_ = [
        (
            BASE_ID + f"{n}.schema.json",
            referencing.Resource.from_contents(load(f"{n}.schema.json")),
        )
        for n in names
    ]
    return referencing.Registry().with_resources(resources_)


@functools.cache
def validator(kind: str) -> jsonschema.protocols.Validator:
    schema = load(f"{kind}.schema.json")
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, registry=_registry(), format_checker=FORMATS)


def _path(error: jsonschema.ValidationError) -> str:
    path = ".".join(str(p) for p in error.absolute_path)
    if error.validator in ("required", "dependentRequired"):
        # one error per missing property; its name is the first quoted word of the message
        missing = error.message.split("'")[1]
        return ".".join(filter(None, [path, missing]))
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        schema = error.schema if isinstance(error.schema, dict) else {}
        allowed = set(schema.get("properties", {}))
        extra = sorted(k for k in error.instance if k not in allowed)
        if extra:
            return ".".join(filter(None, [path, extra[0]]))
    return path


def _message(error: jsonschema.ValidationError) -> str:
    if error.validator == "format":
        cause = f": {error.cause}" if error.cause else ""
        return f"not a valid {error.validator_value}{cause}"
    limit = error.validator_value
    if error.validator == "maxLength":
        return f"is longer than {limit} characters"
    if error.validator == "minLength":
        return (
            "must not be empty" if limit == 1 else f"is shorter than {limit} characters"
        )
    if error.validator == "maxItems":
        return f"has more than {limit} items"
    if error.validator == "minItems":
        return f"needs at least {limit} items"
    if error.validator == "type":
        return f"must be of type {json.dumps(limit)}"
    if error.validator in ("minimum", "maximum"):
        side = "at least" if error.validator == "minimum" else "at most"
        return f"must be {side} {limit}"
    if error.validator == "required":
        return "is required"
    if error.validator == "dependentRequired":
        return f"is required with {json.dumps(error.message.split(chr(39))[3])}"
    if error.validator == "enum":
        values = (
            error.validator_value if isinstance(error.validator_value, list) else []
        )
        allowed = ", ".join(json.dumps(v) for v in values)
        return f"must be one of {allowed}"
    return str(error.message)


def semantic_errors(kind: str, data: dict[str, Any]) -> list[FieldError]:
    """What JSON Schema cannot say: an end after its start."""
    start, end = data.get("startTime"), data.get("endTime")
    if kind == "call" and isinstance(start, str) and isinstance(end, str):
        try:
            if datetime.fromisoformat(end) <= datetime.fromisoformat(start):
                return [FieldError("endTime", "must be after startTime")]
        except ValueError:
            return []  # already reported as a format error
    return []


def _nuls(value: Any, path: str = "") -> list[str]:
    """The paths of strings holding a NUL (PostgreSQL text cannot store one)."""
    if isinstance(value, str):
        return [path] if "\x00" in value else []
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _nuls(v, f"{path}.{k}".strip("."))]
    if isinstance(value, list):
        return [
            p for i, v in enumerate(value) for p in _nuls(v, f"{path}.{i}".strip("."))
        ]
    return []


def validate(kind: str, data: Any) -> list[FieldError]:
    """Every failing field of `data` as a movement object of `kind` (or a `charter`)
    (empty: valid)."""
    if kind not in DOCUMENTS:
        return [FieldError("kind", f"must be one of {', '.join(KINDS)}")]
    if not isinstance(data, dict):
        return [FieldError("", "must be a JSON object")]
    errors = [
        FieldError(_path(e), _message(e))
        for e in sorted(validator(kind).iter_errors(data), key=lambda e: e.path)
    ]
    errors += [FieldError(path, "contains a NUL character") for path in _nuls(data)]
    if errors:
        return errors
    return semantic_errors(kind, data)
