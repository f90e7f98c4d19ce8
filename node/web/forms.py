"""The publishing forms (pure): which fields each kind of object has, HTML form values to
authoring data (which the same JSON Schemas as the API then validate), data back to form
values for editing, and validation errors placed beside their fields."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from node.movement import zones
from node.movement.schemas import FieldError, load
from node.movement.wire import ASK_LABELS, CAPABILITY_LABELS

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"  # what <input type=datetime-local> sends


@dataclass(frozen=True, slots=True)
class Field:
    name: str  # the data path: "title", "location.name"
    label: str
    widget: str  # text | textarea | select | checkboxes | datetime | lines | checkbox
    required: bool = False
    options: tuple[tuple[str, str], ...] = ()
    help: str = ""


@dataclass
class Form:
    kind: str
    fields: list[Field]
    values: dict[str, Any] = field(default_factory=dict)  # name -> str or list[str]
    errors: dict[str, str] = field(default_factory=dict)  # name -> message ("" = form)


def _enum(kind: str, *path: str) -> list[Any]:
    node: Any = load(f"{kind}.schema.json")["properties"]
    for key in path:
        node = node[key]
    return list(node["enum"])


def _labelled(
    values: Iterable[Any], labels: Mapping[str, str]
) -> tuple[tuple[str, str], ...]:
    return tuple((str(v), labels.get(str(v), str(v))) for v in values)


def fields_for(kind: str, clusters: list[str]) -> list[Field]:
    """The form of one kind of movement object; `clusters`: this node's cluster names."""
    common = [Field("title", "Title", "text", required=True)]
    tail = [
        Field(
            "clusters",
            "Clusters",
            "checkboxes",
            options=tuple((c, f"#{c}") for c in clusters),
        ),
        Field(
            "audience",
            "Who can see it",
            "select",
            options=(
                ("public", "Everyone (public)"),
                ("followers", "Only the group's followers"),
            ),
        ),
    ]
    body = Field("body", "Text (Markdown)", "textarea", required=True)
    zone = Field(
        "timezone",
        "Time zone",
        "select",
        options=tuple((z, z.replace("_", " ")) for z in zones.choices()),
        help="Where the times above are local (the node's own zone unless you pick another).",
    )
    capabilities = _labelled(
        load("common.schema.json")["$defs"]["capabilityKind"]["enum"], CAPABILITY_LABELS
    )
    if kind == "call":
        return [
            *common,
            Field("summary", "Summary (what Mastodon readers see first)", "textarea"),
            body,
            Field(
                "urgency",
                "Urgency",
                "select",
                required=True,
                options=_labelled(_enum("call", "urgency"), {}),
            ),
            Field(
                "asks",
                "What it asks of people",
                "checkboxes",
                required=True,
                options=_labelled(_enum("call", "asks", "items"), ASK_LABELS),
            ),
            Field(
                "capabilitiesNeeded",
                "Capabilities needed",
                "checkboxes",
                options=capabilities,
            ),
            Field("startTime", "Starts", "datetime"),
            Field("endTime", "Ends", "datetime"),
            Field(
                "deadline",
                "Responses close",
                "datetime",
                help="For a call for public comment: when comments close.",
            ),
            zone,
            Field("location.name", "Place", "text"),
            Field("location.address", "Address", "text"),
            *tail,
        ]
    if kind == "vision":
        return [
            *common,
            Field(
                "summary", "The vision in a few sentences", "textarea", required=True
            ),
            body,
            Field(
                "horizon",
                "Horizon (years)",
                "select",
                required=True,
                options=_labelled(_enum("vision", "horizon"), {}),
            ),
            Field("place", "Place", "text", required=True),
            Field(
                "institutions",
                "Institutions it calls for (one a line, as Name: what it is for)",
                "institutions",
                help="e.g. Public land bank: buys land so homes stay affordable.",
            ),
            *tail,
        ]
    if kind == "offer":
        return [
            *common,
            Field(
                "capability",
                "Capability",
                "select",
                required=True,
                options=capabilities,
            ),
            body,
            Field("areaServed", "Area served", "text", required=True),
            Field(
                "availability",
                "Availability",
                "text",
                required=True,
                help="e.g. weekday evenings, weekends, any time",
            ),
            Field("howToAsk", "How to ask", "text", required=True),
            *tail,
        ]
    if kind == "proposal":
        return [
            *common,
            body,
            Field("options", "Options (one per line)", "lines", required=True),
            Field("multiple", "Voters may choose several options", "checkbox"),
            Field("endTime", "Voting ends", "datetime", required=True),
            zone,
            *tail,
        ]
    msg = f"no form for {kind!r}"
    raise ValueError(msg)


def _local_to_iso(value: str, zone: ZoneInfo) -> str:
    return datetime.strptime(value, DATETIME_FORMAT).replace(tzinfo=zone).isoformat()


def form_to_data(
    kind: str, fields: list[Field], form: Mapping[str, Any]
) -> tuple[dict[str, Any], list[FieldError]]:
    """Authoring data from submitted form values (a MultiDict-like `form` with getall),
    and the errors only the form can see (a date that is not one, an unknown zone)."""
    data: dict[str, Any] = {}
    errors: list[FieldError] = []
    zone_name = str(form.get("timezone", "")).strip()
    zone: ZoneInfo | None = None
    if zone_name:
        try:
            zone = zones.check(zone_name)
        except zones.UnknownZoneError as exc:
            errors.append(FieldError("timezone", str(exc)))
    for spec in fields:
        if spec.widget == "checkboxes":
            chosen = [str(v) for v in form.getall(spec.name, [])]  # type: ignore[attr-defined]
            if chosen:
                data[spec.name] = chosen
            continue
        raw = str(form.get(spec.name, "")).strip()
        if spec.widget == "checkbox":
            if raw:
                data[spec.name] = True
            continue
        if not raw:
            continue
        if spec.widget == "lines":
            data[spec.name] = [
                line.strip() for line in raw.splitlines() if line.strip()
            ]
        elif spec.widget == "institutions":
            data[spec.name], wrong = institutions_of(raw)
            errors += [FieldError(spec.name, wrong)] if wrong else []
        elif spec.widget == "datetime":
            try:
                datetime.strptime(raw, DATETIME_FORMAT).replace(tzinfo=UTC)
            except ValueError:
                errors.append(FieldError(spec.name, f"not a date and time: {raw!r}"))
                continue
            if zone is None:
                if not zone_name:
                    errors.append(FieldError("timezone", "needed with a date and time"))
                continue
            data[spec.name] = _local_to_iso(raw, zone)
        elif spec.name == "horizon" and raw.isdigit():
            data[spec.name] = int(raw)
        elif "." in spec.name:
            outer, inner = spec.name.split(".", 1)
            data.setdefault(outer, {})[inner] = raw
        else:
            data[spec.name] = raw
    if kind != "call":
        data.pop("timezone", None)
    return data, _unique(errors)


def institutions_of(raw: str) -> tuple[list[dict[str, str]], str]:
    """`Name: what it is for` lines as institutions, and what is wrong ("" when nothing)."""
    found, wrong = [], ""
    for line in (line.strip() for line in raw.splitlines()):
        name, sep, purpose = line.partition(":")
        if not line:
            continue
        if not sep or not name.strip() or not purpose.strip():
            wrong = f"write each as Name: what it is for (not {line[:60]!r})"
            continue
        found.append({"name": name.strip(), "purpose": purpose.strip()})
    return found, wrong


def keep_details(
    institutions: list[dict[str, Any]], stored: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """The form's institutions with the status and champions they had (the form shows
    only names and purposes; the API sets the rest)."""
    before = {i["name"]: i for i in stored.get("institutions", []) or []}
    return [
        i
        | {
            k: before[i["name"]][k]
            for k in ("status", "champions")
            if k in before.get(i["name"], {})
        }
        for i in institutions
    ]


def _unique(errors: list[FieldError]) -> list[FieldError]:
    seen: set[tuple[str, str]] = set()
    kept = []
    for e in errors:
        if (e.field, e.message) not in seen:
            seen.add((e.field, e.message))
            kept.append(e)
    return kept


def data_to_form(fields: list[Field], data: Mapping[str, Any]) -> dict[str, Any]:
    """Form values showing stored authoring data (dates in the object's own zone)."""
    zone_name = data.get("timezone")
    if not zone_name and isinstance(data.get("endTime"), str):
        zone_name = "UTC"
    zone = ZoneInfo(zone_name) if isinstance(zone_name, str) else None
    values: dict[str, Any] = {"timezone": zone_name or ""}
    for spec in fields:
        if "." in spec.name:
            outer, inner = spec.name.split(".", 1)
            value = (data.get(outer) or {}).get(inner)
        else:
            value = data.get(spec.name)
        if value is None:
            continue
        if spec.widget == "checkboxes":
            values[spec.name] = [str(v) for v in value]
        elif spec.widget == "lines":
            values[spec.name] = "\n".join(value)
        elif spec.widget == "institutions":
            values[spec.name] = "\n".join(f"{i['name']}: {i['purpose']}" for i in value)
        elif spec.widget == "checkbox":
            values[spec.name] = "on" if value else ""
        elif spec.widget == "datetime" and zone is not None:
            values[spec.name] = (
                datetime.fromisoformat(value).astimezone(zone).strftime(DATETIME_FORMAT)
            )
        else:
            values[spec.name] = str(value)
    return values


def place_errors(fields: list[Field], errors: list[FieldError]) -> dict[str, str]:
    """Each error beside its field (`clusters.0` beside `clusters`); the rest under ""."""
    names = {f.name for f in fields}
    placed: dict[str, str] = {}
    for error in errors:
        name = error.field
        if name not in names:
            name = error.field.split(".", 1)[0]
        if name == "location":
            name = "location.name"
        key = name if name in names else ""
        message = error.message if key else f"{error.field or 'form'}: {error.message}"
        placed[key] = f"{placed[key]}; {message}" if key in placed else message
    return placed
