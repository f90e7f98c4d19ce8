"""FEP-8b32 eddsa-jcs-2022 proofs and FEP-521a Multikeys (pure)."""

from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from federation import proofs
from federation.errors import SignatureInvalidError

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
DOC = {
    "@context": ["https://www.w3.org/ns/activitystreams"],
    "id": "https://a.example/actors/node/activities/1",
    "type": "Accept",
    "actor": "https://a.example/actors/node",
    "object": "https://a.example/proposals/1",
    "name": "Mañana — ✊",
}


def _signed() -> tuple[dict[str, Any], ed25519.Ed25519PrivateKey]:
    key = ed25519.Ed25519PrivateKey.generate()
    return (
        proofs.sign(
            DOC,
            key,
            verification_method="https://a.example/actors/node#ed25519-key",
            created=NOW,
        ),
        key,
    )


def test_a_signed_document_verifies_whatever_its_key_order() -> None:
    signed, key = _signed()
    assert signed["proof"]["cryptosuite"] == "eddsa-jcs-2022"
    assert signed["proof"]["proofValue"].startswith("z")
    reordered = dict(reversed(list(signed.items())))
    proofs.verify(reordered, key.public_key())


@pytest.mark.parametrize(
    "change",
    [
        {
            "object": "https://a.example/proposals/2"
        },  # a vote replayed for another proposal
        {"name": "Mañana"},
        {"@context": ["https://www.w3.org/ns/activitystreams", {"x": "y"}]},
    ],
)
def test_any_change_breaks_the_proof(change: dict[str, Any]) -> None:
    signed, key = _signed()
    with pytest.raises(SignatureInvalidError, match="does not verify"):
        proofs.verify(signed | change, key.public_key())


def test_another_key_does_not_verify() -> None:
    signed, _key = _signed()
    other = ed25519.Ed25519PrivateKey.generate().public_key()
    with pytest.raises(SignatureInvalidError):
        proofs.verify(signed, other)


def test_a_document_without_a_supported_proof_is_refused() -> None:
    signed, key = _signed()
    with pytest.raises(SignatureInvalidError, match="no single proof"):
        proofs.verify(DOC, key.public_key())
    rsa_proof = signed | {"proof": signed["proof"] | {"cryptosuite": "rsa-2017"}}
    with pytest.raises(SignatureInvalidError, match="unsupported proof"):
        proofs.verify(rsa_proof, key.public_key())


def test_multikey_round_trips_and_rejects_other_encodings() -> None:
    public = ed25519.Ed25519PrivateKey.generate().public_key()
    encoded = proofs.multikey(public)
    assert encoded.startswith("z6Mk")  # what every Ed25519 Multikey looks like
    assert proofs.read_multikey(encoded).public_bytes_raw() == public.public_bytes_raw()
    for bad in ("f00", "z0OIl", "z" + "1" * 10, 42):
        with pytest.raises(SignatureInvalidError):
            proofs.read_multikey(bad)


def test_assertion_methods_are_only_the_actors_own_multikeys() -> None:
    actor = {
        "id": "https://a.example/actors/node",
        "assertionMethod": [
            {
                "id": "https://a.example/actors/node#ed25519-key",
                "type": "Multikey",
                "controller": "https://a.example/actors/node",
                "publicKeyMultibase": "z6MkX",
            },
            {
                "id": "https://evil.example/k",
                "type": "Multikey",
                "controller": "https://evil.example/actor",
                "publicKeyMultibase": "z6MkY",
            },
        ],
    }
    assert proofs.assertion_methods(actor) == [
        ("https://a.example/actors/node#ed25519-key", "z6MkX")
    ]
