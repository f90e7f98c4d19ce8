"""RSA key pairs: generate, PEM dump/load (cryptography only)."""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

PublicKey = rsa.RSAPublicKey | ed25519.Ed25519PublicKey
PrivateKey = rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey


def generate_rsa() -> rsa.RSAPrivateKey:
    """A fresh RSA-2048 key (what Mastodon requires)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_pem(key: PrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")


def public_pem(key: PublicKey) -> str:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def load_private(pem: str) -> PrivateKey:
    """A private key this node generated and stored: the RSA consistency check (about 30 ms
    a key, paid by the first delivery of each signer in each process) is skipped, as
    cryptography allows for keys known to be valid."""
    key = serialization.load_pem_private_key(
        pem.encode("ascii"), password=None, unsafe_skip_rsa_key_validation=True
    )
    if not isinstance(key, rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey):
        msg = "unsupported private key type"
        raise TypeError(msg)
    return key


def load_public(pem: str) -> PublicKey:
    """Load a public key PEM (SubjectPublicKeyInfo or PKCS#1 RSA).

    Raises:
        ValueError: when the PEM does not hold an RSA or Ed25519 public key.
    """
    try:
        key = serialization.load_pem_public_key(pem.encode("ascii"))
    except (ValueError, TypeError, UnicodeError) as exc:
        msg = "unreadable public key PEM"
        raise ValueError(msg) from exc
    if not isinstance(key, rsa.RSAPublicKey | ed25519.Ed25519PublicKey):
        msg = "unsupported public key type"
        raise ValueError(msg)  # noqa: TRY004 (a value problem, reported as such)
    return key
