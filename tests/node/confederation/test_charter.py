"""Charters: the example validates; bad fields are named; a tampered charter is refused."""

import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from federation import proofs
from federation.errors import FederationError
from node.confederation import records as rec

EXAMPLE = Path(__file__).parents[3] / "docs" / "charter.example.toml"
FOUNDER = "https://a.example/actors/node"


def _signed(fields: dict[str, Any], key: ed25519.Ed25519PrivateKey) -> dict[str, Any]:
    doc = rec.charter_document(
        fields,
        charter_id="https://a.example/actors/cascadia/charter",
        founder=FOUNDER,
        founder_key=proofs.multikey(key.public_key()),
        published=datetime(2026, 11, 23, tzinfo=UTC),
    )
    return proofs.sign(
        doc,
        key,
        verification_method=f"{FOUNDER}#ed25519-key",
        created=datetime(2026, 11, 23, tzinfo=UTC),
    )


def test_the_example_charter_is_valid_and_reads_back() -> None:
    fields = tomllib.loads(EXAMPLE.read_text()) | {"name": "cascadia"}
    assert rec.check_fields(fields) == []
    key = ed25519.Ed25519PrivateKey.generate()
    charter = rec.read_charter(_signed(fields, key))
    assert charter.membership == "vote"
    assert charter.relays("call", ["housing"])
    assert not charter.relays("proposal", [])  # the example relays three kinds only


def test_bad_fields_are_named() -> None:
    fields = tomllib.loads(EXAMPLE.read_text()) | {
        "name": "Cascadia Region",
        "quorum": "most",
    }
    assert {e.field for e in rec.check_fields(fields)} == {"name", "quorum"}


def test_a_charter_with_another_founder_key_is_refused() -> None:
    fields = tomllib.loads(EXAMPLE.read_text()) | {"name": "cascadia"}
    signed = _signed(fields, ed25519.Ed25519PrivateKey.generate())
    other = proofs.multikey(ed25519.Ed25519PrivateKey.generate().public_key())
    with pytest.raises(FederationError):
        rec.read_charter(signed | {"proofKey": other})
    with pytest.raises(FederationError):
        rec.read_charter(signed | {"quorum": "unanimous"})
    with pytest.raises(FederationError, match="is not"):
        rec.read_charter(signed, expected_id="https://b.example/other")
