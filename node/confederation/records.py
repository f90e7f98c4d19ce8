"""The signed documents of a confederation (pure): its charter and its records.

The charter's id is the confederation id. Records are activities with an FEP-8b32 proof by
their actor's Ed25519 key, so any replica can serve them and any other can check them:
`Join` (a node asks; embedded in the proposal that answers it), `Invite` (a proposal to
admit: its object is the signed Join), `Remove` (a proposal to remove a member), `Accept` /
`Reject` (a member's vote on a proposal), `Add` (a proposal to adopt a vision version as
the confederation's shared vision), `Update` (a member introduces its groups and their
keys, when the charter has the groups vote on adoptions) and `Leave` (a member goes).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ed25519

from federation import proofs
from federation.errors import FederationError
from federation.vocab.actors import ACTOR_CONTEXT, ASSERTION_TERMS, MULTIKEY_CONTEXT
from federation.vocab.read import as_list, id_of
from node.movement.schemas import FieldError, load, validate

AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
# v1, as FEP-8b32 has it: the version peers ship (Fedify preloads v1; without network it
# cannot read a document that names v2)
DATA_INTEGRITY_CONTEXT = "https://w3id.org/security/data-integrity/v1"
# an ActivityStreams type a generic reader accepts, with ours as its extension (a charter
# typed only mov:Charter stopped Fedify walking `decisions`); charters signed before this
# carry the bare "Charter" and are read as well
CHARTER_TYPE = ["Document", "Charter"]
RECORD_TYPES = frozenset(
    {"Invite", "Remove", "Add", "Update", "Accept", "Reject", "Leave"}
)
ALL_KINDS = ("vision", "call", "offer", "proposal")


class RecordError(FederationError):
    """A charter or record that is malformed, for another confederation, or badly signed."""


def iso(when: datetime) -> str:
    """Record times keep microseconds: they order the records."""
    return when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def context() -> list[Any]:
    terms: dict[str, Any] = load("confederation.jsonld")["@context"]
    return [AS_CONTEXT, DATA_INTEGRITY_CONTEXT, terms]


@dataclass(frozen=True, slots=True)
class Charter:
    id: str
    name: str  # the handle of every replica
    title: str
    summary: str
    place: str
    scope: str
    membership: str  # open | vote
    quorum: str  # majority | two-thirds | unanimous
    kinds: tuple[str, ...]
    clusters: tuple[str, ...]  # empty: any cluster
    founder: str
    founder_key: str  # Multikey
    document: dict[str, Any]
    voters: str = "nodes"  # who votes on adoptions: nodes | groups

    def relays(self, kind: str | None, clusters: list[str]) -> bool:
        """Does the charter relay an object of this movement kind in these clusters?"""
        if kind not in self.kinds:
            return False
        return not self.clusters or bool(set(self.clusters) & set(clusters))

    def relayed_clusters(self, clusters: list[str]) -> list[str]:
        """Which of an object's clusters the charter relays (all, if it names none)."""
        return [c for c in clusters if not self.clusters or c in self.clusters]


def replica_properties(
    replica_url: str, confederation: str, charter: dict[str, Any]
) -> dict[str, Any]:
    """What a replica's actor document adds: the confederation id, its charter, members,
    decisions (and the terms for them in its @context)."""
    return {
        "@context": [*ACTOR_CONTEXT, MULTIKEY_CONTEXT, ASSERTION_TERMS, context()[2]],
        "confederation": confederation,
        "charter": charter,
        "members": f"{replica_url}/members",
        "decisions": f"{replica_url}/decisions",
    }


def movement_actor_properties(kind: str) -> dict[str, Any]:
    """What a node's, group's or cluster's actor document adds: which of them it is
    (`mov:kind`), so another node can tell a group (which votes in an assembly of groups)
    from a node or a cluster, all of them AS2 `Group`s."""
    return {
        "@context": [*ACTOR_CONTEXT, MULTIKEY_CONTEXT, ASSERTION_TERMS, context()[2]],
        "kind": kind,
    }


def cluster_actor_properties(*, confederation: str, cluster: str) -> dict[str, Any]:
    """What a replica's cluster actor document adds: its confederation and cluster."""
    return {
        "@context": [*ACTOR_CONTEXT, MULTIKEY_CONTEXT, ASSERTION_TERMS, context()[2]],
        "confederation": confederation,
        "cluster": cluster,
    }


def charter_document(
    fields: dict[str, Any],
    *,
    charter_id: str,
    founder: str,
    founder_key: str,
    published: datetime,
) -> dict[str, Any]:
    """The unsigned charter from validated authoring fields (the TOML of `found`)."""
    relays = fields.get("relays", {})
    return {
        "@context": context(),
        "id": charter_id,
        "type": CHARTER_TYPE,
        "preferredUsername": fields["name"],
        "name": fields["title"],
        "summary": fields.get("summary", ""),
        "place": fields["place"],
        "scope": fields["scope"],
        "membership": fields["membership"],
        "quorum": fields["quorum"],
        "voters": fields.get("voters", "nodes"),
        "relays": {
            "kinds": list(relays.get("kinds", ALL_KINDS)),
            "clusters": list(relays.get("clusters", [])),
        },
        "attributedTo": founder,
        "published": iso(published),
        "proofKey": founder_key,
    }


def check_fields(fields: Any) -> list[FieldError]:
    return validate("charter", fields)


def _key_of(document: dict[str, Any], actor: str) -> ed25519.Ed25519PublicKey:
    """The key in `proofKey`, checked to be the one the proof names, on `actor`'s document."""
    method = proofs.proof_key_id(document)
    if method.split("#", 1)[0] != actor:
        msg = f"signed with {method}, not a key of {actor}"
        raise RecordError(msg)
    return proofs.read_multikey(document.get("proofKey"))


def read_charter(document: Any, *, expected_id: str | None = None) -> Charter:
    """Check a charter (self-signed by its founder) and read it.

    Raises:
        RecordError: malformed, another id than expected, or a proof that fails.
    """
    if not isinstance(document, dict) or "Charter" not in as_list(document.get("type")):
        msg = "not a Charter"
        raise RecordError(msg)
    charter_id, founder = document.get("id"), id_of(document.get("attributedTo"))
    if not isinstance(charter_id, str) or founder is None:
        msg = "a charter needs an id and attributedTo"
        raise RecordError(msg)
    if expected_id is not None and charter_id != expected_id:
        msg = f"charter {charter_id} is not {expected_id}"
        raise RecordError(msg)
    relays: dict[str, Any] = (
        document["relays"] if isinstance(document.get("relays"), dict) else {}
    )
    fields: dict[str, Any] = {
        "name": document.get("preferredUsername"),
        "title": document.get("name"),
        "place": document.get("place"),
        "scope": document.get("scope"),
        "membership": document.get("membership"),
        "quorum": document.get("quorum"),
        "relays": relays,
    }
    for optional in ("summary", "voters"):  # charters signed before `voters` lack it
        if document.get(optional):
            fields[optional] = document[optional]
    errors = check_fields(fields)
    if errors:
        msg = "invalid charter: " + "; ".join(f"{e.field} {e.message}" for e in errors)
        raise RecordError(msg)
    proofs.verify(document, _key_of(document, founder))
    return Charter(
        id=charter_id,
        name=fields["name"],
        title=fields["title"],
        summary=document.get("summary", ""),
        place=fields["place"],
        scope=fields["scope"],
        membership=fields["membership"],
        quorum=fields["quorum"],
        kinds=tuple(relays.get("kinds", ALL_KINDS)),
        clusters=tuple(relays.get("clusters", [])),
        founder=founder,
        founder_key=document["proofKey"],
        document=document,
        voters=fields.get("voters", "nodes"),
    )


def new_record(
    type_: str, *, id: str, actor: str, published: datetime, **rest: Any
) -> dict[str, Any]:
    return {
        "@context": context(),
        "id": id,
        "type": type_,
        "actor": actor,
        "published": iso(published),
        **rest,
    }


def join(
    *, id: str, actor: str, confederation: str, key: str, published: datetime
) -> dict[str, Any]:
    """A node asks to join (unsigned); `key` is its Multikey, checked by its proof."""
    return new_record(
        "Join",
        id=id,
        actor=actor,
        published=published,
        object=confederation,
        proofKey=key,
    )


def invite(
    *,
    id: str,
    actor: str,
    confederation: str,
    signed_join: dict[str, Any],
    published: datetime,
) -> dict[str, Any]:
    """A proposal to admit the node whose signed Join it carries."""
    return new_record(
        "Invite",
        id=id,
        actor=actor,
        published=published,
        object=signed_join,
        target=confederation,
    )


def remove(
    *, id: str, actor: str, confederation: str, member: str, published: datetime
) -> dict[str, Any]:
    """A proposal to remove a member."""
    return new_record(
        "Remove",
        id=id,
        actor=actor,
        published=published,
        object=member,
        target=confederation,
    )


def adopt(
    *,
    id: str,
    actor: str,
    confederation: str,
    version: str,
    title: str,
    published: datetime,
) -> dict[str, Any]:
    """A proposal to adopt the vision version `version` (its IRI, VISION/versions/N) as
    the confederation's shared vision; `name` carries its title for readers."""
    return new_record(
        "Add",
        id=id,
        actor=actor,
        published=published,
        object=version,
        target=confederation,
        name=title,
    )


def vote(
    *,
    id: str,
    actor: str,
    confederation: str,
    proposal: str,
    yes: bool,
    published: datetime,
) -> dict[str, Any]:
    return new_record(
        "Accept" if yes else "Reject",
        id=id,
        actor=actor,
        published=published,
        object=proposal,
        target=confederation,
    )


def leave(
    *, id: str, actor: str, confederation: str, published: datetime
) -> dict[str, Any]:
    return new_record(
        "Leave", id=id, actor=actor, published=published, object=confederation
    )


def confederation_of(record: dict[str, Any]) -> str | None:
    """The confederation a record belongs to (Join/Leave: object; the others: target)."""
    key = "object" if record.get("type") in ("Join", "Leave") else "target"
    return id_of(record.get(key))


def published_at(record: dict[str, Any]) -> datetime:
    """Raises RecordError when `published` is not an ISO 8601 time with a zone."""
    value = record.get("published")
    try:
        when = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        when = None
    if when is None or when.tzinfo is None:
        msg = "a record needs a published time with a zone"
        raise RecordError(msg)
    return when


def check_shape(record: Any, confederation: str) -> dict[str, Any]:
    """A record's shape before anything else looks at it.

    Raises:
        RecordError: not one of our record types, no id/actor, another confederation.
    """
    if not isinstance(record, dict) or record.get("type") not in RECORD_TYPES:
        msg = "not a confederation record"
        raise RecordError(msg)
    if not isinstance(record.get("id"), str) or id_of(record.get("actor")) is None:
        msg = "a record needs an id and an actor"
        raise RecordError(msg)
    if confederation_of(record) != confederation:
        msg = f"the record is not about {confederation}"
        raise RecordError(msg)
    published_at(record)
    return record


def verify_record(record: dict[str, Any], key: str) -> None:
    """Check a record's proof against its actor's Multikey `key`.

    Raises:
        RecordError / SignatureInvalidError: not signed by that actor's key.
    """
    actor = id_of(record.get("actor"))
    if proofs.proof_key_id(record).split("#", 1)[0] != actor:
        msg = f"record {record.get('id')} is not signed by its actor"
        raise RecordError(msg)
    proofs.verify(record, proofs.read_multikey(key))


def read_join(join_doc: Any, confederation: str) -> tuple[str, str]:
    """(actor, Multikey) of a signed Join of `confederation`, checked by its own proof.

    Raises:
        RecordError / SignatureInvalidError.
    """
    if not isinstance(join_doc, dict) or join_doc.get("type") != "Join":
        msg = "a proposal to admit must carry the signed Join"
        raise RecordError(msg)
    actor = id_of(join_doc.get("actor"))
    if actor is None or id_of(join_doc.get("object")) != confederation:
        msg = "the Join is not about this confederation"
        raise RecordError(msg)
    proofs.verify(join_doc, _key_of(join_doc, actor))
    return actor, str(join_doc["proofKey"])
