"""FEP-8b32 object integrity proofs: `DataIntegrityProof` with the `eddsa-jcs-2022`
cryptosuite (Ed25519 over RFC 8785 canonical JSON) and FEP-521a `Multikey` public keys.

A proof lets a document travel through third parties (a confederation replica serving its
`decisions` to a newcomer) and still be checked against its author's key. Pure functions.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

import base58
import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ed25519

from federation.errors import SignatureInvalidError

CRYPTOSUITE = "eddsa-jcs-2022"
PROOF_TYPE = "DataIntegrityProof"
MULTIKEY_CONTEXT = "https://w3id.org/security/data-integrity/v1"
ED25519_PREFIX = b"\xed\x01"  # multicodec ed25519-pub


def multikey(public: ed25519.Ed25519PublicKey) -> str:
    """`publicKeyMultibase` of an Ed25519 key: `z` + base58btc(0xed01 || raw key)."""
    return "z" + base58.b58encode(ED25519_PREFIX + public.public_bytes_raw()).decode()


def read_multikey(value: Any) -> ed25519.Ed25519PublicKey:
    """Raises:
    SignatureInvalidError: not a base58btc multibase Ed25519 public key."""
    if not isinstance(value, str) or not value.startswith("z"):
        msg = "publicKeyMultibase must be base58btc (z…)"
        raise SignatureInvalidError(msg)
    try:
        raw = base58.b58decode(value[1:])
    except ValueError:
        msg = "publicKeyMultibase is not base58"
        raise SignatureInvalidError(msg) from None
    if len(raw) != 34 or not raw.startswith(ED25519_PREFIX):
        msg = "publicKeyMultibase is not an Ed25519 key"
        raise SignatureInvalidError(msg)
    return ed25519.Ed25519PublicKey.from_public_bytes(raw[2:])


def assertion_methods(actor: dict[str, Any]) -> list[tuple[str, str]]:
    """(key id, publicKeyMultibase) of the Multikeys an actor lists under `assertionMethod`,
    controlled by the actor itself."""
    raw = actor.get("assertionMethod")
    return [
        (key["id"], key["publicKeyMultibase"])
        for key in (raw if isinstance(raw, list) else [raw])
        if isinstance(key, dict)
        and key.get("type") == "Multikey"
        and key.get("controller") == actor.get("id")
        and isinstance(key.get("id"), str)
        and isinstance(key.get("publicKeyMultibase"), str)
    ]


def _hash_data(document: dict[str, Any], config: dict[str, Any]) -> bytes:
    try:
        return (
            hashlib.sha256(rfc8785.dumps(config)).digest()
            + hashlib.sha256(rfc8785.dumps(document)).digest()
        )
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        msg = f"the document cannot be canonicalized: {exc}"
        raise SignatureInvalidError(msg) from None


def sign(
    document: dict[str, Any],
    key: ed25519.Ed25519PrivateKey,
    *,
    verification_method: str,
    created: datetime,
) -> dict[str, Any]:
    """The document with an `assertionMethod` proof by `verification_method`."""
    unsigned = {k: v for k, v in document.items() if k != "proof"}
    config: dict[str, Any] = {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "verificationMethod": verification_method,
        "proofPurpose": "assertionMethod",
        "created": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if "@context" in unsigned:
        config["@context"] = unsigned["@context"]
    value = key.sign(_hash_data(unsigned, config))
    proof = {k: v for k, v in config.items() if k != "@context"}
    proof["proofValue"] = "z" + base58.b58encode(value).decode()
    return {**unsigned, "proof": proof}


def proof_key_id(document: dict[str, Any]) -> str:
    """The verification method a document's proof names.

    Raises:
        SignatureInvalidError: no single eddsa-jcs-2022 assertion proof.
    """
    proof = document.get("proof")
    if not isinstance(proof, dict):
        msg = "the document has no single proof"
        raise SignatureInvalidError(msg)
    if (
        proof.get("type") != PROOF_TYPE
        or proof.get("cryptosuite") != CRYPTOSUITE
        or proof.get("proofPurpose") != "assertionMethod"
    ):
        msg = "unsupported proof (want an eddsa-jcs-2022 assertionMethod proof)"
        raise SignatureInvalidError(msg)
    method = proof.get("verificationMethod")
    if not isinstance(method, str):
        msg = "the proof has no verificationMethod"
        raise SignatureInvalidError(msg)
    return method


def verify(document: dict[str, Any], public: ed25519.Ed25519PublicKey) -> None:
    """Check a document's proof against the key it names (already resolved by the caller).

    Raises:
        SignatureInvalidError: no proof, an unsupported one, or one that does not verify.
    """
    proof_key_id(document)
    proof: dict[str, Any] = document["proof"]
    value = proof.get("proofValue")
    if not isinstance(value, str) or not value.startswith("z"):
        msg = "the proof has no base58btc proofValue"
        raise SignatureInvalidError(msg)
    unsigned = {k: v for k, v in document.items() if k != "proof"}
    config = {k: v for k, v in proof.items() if k != "proofValue"}
    if "@context" in unsigned:
        config["@context"] = unsigned["@context"]
    try:
        public.verify(base58.b58decode(value[1:]), _hash_data(unsigned, config))
    except (InvalidSignature, ValueError):
        msg = "the proof does not verify"
        raise SignatureInvalidError(msg) from None
