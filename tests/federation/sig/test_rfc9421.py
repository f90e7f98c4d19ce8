"""RFC 9421 Appendix B vectors: signature bases, Ed25519 signing, RSA-PSS verification."""

from datetime import UTC, datetime

import pytest

from federation.errors import SignatureInvalidError
from federation.sig import rfc9421
from federation.sig.keys import load_private, load_public
from federation.types import HttpRequest

# RFC 9421 §B.1.4 and §B.1.2 test keys
ED25519_PRIVATE = b"""-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF
-----END PRIVATE KEY-----
"""
ED25519_PUBLIC = b"""-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=
-----END PUBLIC KEY-----
"""
RSA_PSS_PUBLIC = b"""-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAr4tmm3r20Wd/PbqvP1s2
+QEtvpuRaV8Yq40gjUR8y2Rjxa6dpG2GXHbPfvMs8ct+Lh1GH45x28Rw3Ry53mm+
oAXjyQ86OnDkZ5N8lYbggD4O3w6M6pAvLkhk95AndTrifbIFPNU8PPMO7OyrFAHq
gDsznjPFmTOtCEcN2Z1FpWgchwuYLPL+Wokqltd11nqqzi+bJ9cvSKADYdUAAN5W
Utzdpiy6LbTgSxP7ociU4Tn0g5I6aDZJ7A8Lzo0KSyZYoA485mqcO0GVAdVw9lq4
aOT9v6d+nb4bnNkQVklLQ3fVAvJm+xdDOp9LCNCN48V2pnDOkFV6+U9nV5oyc6XI
2wIDAQAB
-----END PUBLIC KEY-----
"""
CREATED = datetime.fromtimestamp(1618884473, UTC)

# RFC 9421 §2.4 / Appendix B test request
REQUEST = HttpRequest.build(
    "POST",
    "https://example.com/foo?param=Value&Pet=dog",
    {
        "Host": "example.com",
        "Date": "Tue, 20 Apr 2021 02:07:55 GMT",
        "Content-Type": "application/json",
        "Content-Digest": "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:",
        "Content-Length": "18",
    },
    b'{"hello": "world"}',
)
B26_COVERED = (
    "date",
    "@method",
    "@path",
    "@authority",
    "content-type",
    "content-length",
)
B26_BASE = """\
"date": Tue, 20 Apr 2021 02:07:55 GMT
"@method": POST
"@path": /foo
"@authority": example.com
"content-type": application/json
"content-length": 18
"@signature-params": ("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519\""""
B26_SIGNATURE = "sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:"
B23_COVERED = (
    "date",
    "@method",
    "@path",
    "@query",
    "@authority",
    "content-type",
    "content-digest",
    "content-length",
)
B23_BASE = """\
"date": Tue, 20 Apr 2021 02:07:55 GMT
"@method": POST
"@path": /foo
"@query": ?param=Value&Pet=dog
"@authority": example.com
"content-type": application/json
"content-digest": sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:
"content-length": 18
"@signature-params": ("date" "@method" "@path" "@query" "@authority" "content-type" "content-digest" "content-length");created=1618884473;keyid="test-key-rsa-pss\""""
B23_SIGNATURE = (
    "sig-b23=:bbN8oArOxYoyylQQUU6QYwrTuaxLwjAC9fbY2F6SVWvh0yBiMIRGOnMYwZ/5MR6fb0Kh1rIRASVxFkeGt683+qRpRRU5p2voTp768ZrCUb38K0fU"
    "xN0O0iC59DzYx8DFll5GmydPxSmme9v6ULbMFkl+V5B1TP/yPViV7KsLNmvKiLJH1pFkh/aYA2HXXZzNBXmIkoQoLd7YfW91kE9o/CCoC1xMy7JA1ipwvKvfrs65ldmlu9"
    "bpG6A9BmzhuzF8Eim5f8ui9eH8LZH896+QIF61ka39VBrohr9iyMUJpvRX2Zbhl5ZJzSRxpJyoEZAFL2FUo5fTIztsDZKEgM4cUA==:"
)
B23_INPUT = (
    'sig-b23=("date" "@method" "@path" "@query" "@authority" "content-type" "content-digest" "content-length")'
    ';created=1618884473;keyid="test-key-rsa-pss"'
)


def test_b26_signature_base_matches_rfc() -> None:
    base = rfc9421.signature_base(
        REQUEST,
        B26_COVERED,
        key_id="test-key-ed25519",
        created=CREATED,
        label="sig-b26",
    )
    assert base == B26_BASE


def test_b23_signature_base_matches_rfc() -> None:
    base = rfc9421.signature_base(
        REQUEST,
        B23_COVERED,
        key_id="test-key-rsa-pss",
        created=CREATED,
        algorithm="rsa-pss-sha512",
    )
    assert base == B23_BASE


def test_b26_ed25519_signing_reproduces_the_rfc_signature() -> None:
    key = load_private(ED25519_PRIVATE.decode())
    headers = rfc9421.sign(
        REQUEST,
        key_id="test-key-ed25519",
        private_key=key,
        now=CREATED,
        covered=B26_COVERED,
        label="sig-b26",
        include_alg=False,
    )
    assert headers["signature"] == B26_SIGNATURE
    assert headers["signature-input"] == (
        'sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"'
    )


def test_b26_rfc_signature_verifies_with_the_published_public_key() -> None:
    signed = REQUEST.with_headers(
        {
            "signature-input": 'sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"',
            "signature": B26_SIGNATURE,
        }
    )
    parsed = rfc9421.parse_signature_input(signed)
    assert parsed.key_id == "test-key-ed25519"
    rfc9421.verify(signed, parsed, load_public(ED25519_PUBLIC.decode()))


def test_b23_rsa_pss_signature_verifies_and_a_changed_path_does_not() -> None:
    signed = REQUEST.with_headers(
        {"signature-input": B23_INPUT, "signature": B23_SIGNATURE}
    )
    parsed = rfc9421.parse_signature_input(signed)
    parsed = rfc9421.SignatureInput(
        parsed.label,
        parsed.key_id,
        parsed.covered,
        parsed.created,
        None,
        "rsa-pss-sha512",
    )
    key = load_public(RSA_PSS_PUBLIC.decode())
    rfc9421.verify(signed, parsed, key)
    moved = HttpRequest(
        "POST",
        "https://example.com/bar?param=Value&Pet=dog",
        signed.headers,
        signed.body,
    )
    with pytest.raises(SignatureInvalidError):
        rfc9421.verify(moved, parsed, key)
