"""draft-cavage-12 Appendix C vectors, both directions, plus parsing."""

import base64
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from federation.errors import SignatureFormatError, SignatureInvalidError
from federation.sig import cavage
from federation.sig.keys import load_private
from federation.types import HttpRequest

_LOADED = load_private(
    (Path(__file__).parents[2] / "data" / "cavage_test_key.pem").read_text()
)
assert isinstance(_LOADED, rsa.RSAPrivateKey)
KEY: rsa.RSAPrivateKey = _LOADED

# draft-cavage-http-signatures-12 Appendix C: the example request
REQUEST = HttpRequest.build(
    "POST",
    "https://example.com/foo?param=value&pet=dog",
    {
        "Host": "example.com",
        "Date": "Sun, 05 Jan 2014 21:31:40 GMT",
        "Content-Type": "application/json",
        "Digest": "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=",
        "Content-Length": "18",
    },
    b'{"hello": "world"}',
)
BASIC = (
    "qdx+H7PHHDZgy4y/Ahn9Tny9V3GP6YgBPyUXMmoxWtLbHpUnXS2mg2+SbrQDMCJypxBLSPQR2aAjn7ndmw2iicw3HMbe8VfEdKFYRqzic+"
    "efkb3nndiv/x1xSHDJWeSWkx3ButlYSuBskLu6kd9Fswtemr3lgdDEmn04swr2Os0="
)
ALL = (
    "vSdrb+dS3EceC9bcwHSo4MlyKS59iFIrhgYkz8+oVLEEzmYZZvRs8rgOp+63LEM3v+MFHB32NfpB2bEKBIvB1q52LaEUHFv120V01IL+"
    "TAD48XaERZFukWgHoBTLMhYS2Gb51gWxpeIq8knRmPnYePbF5MOkR0Zkly4zKH7s1dE="
)
CASES = [
    ("(request-target) host date", BASIC),
    ("(request-target) host date content-type digest content-length", ALL),
]


@pytest.mark.parametrize(
    ("headers", "expected"), CASES, ids=["C.2-basic", "C.3-all-headers"]
)
def test_signing_string_signed_with_test_key_matches_published_signature(
    headers: str, expected: str
) -> None:
    text = cavage.signing_string(REQUEST, tuple(headers.split())).encode()
    assert (
        base64.b64encode(KEY.sign(text, padding.PKCS1v15(), hashes.SHA256())).decode()
        == expected
    )


@pytest.mark.parametrize(
    ("headers", "expected"), CASES, ids=["C.2-basic", "C.3-all-headers"]
)
def test_published_signature_verifies_and_tampering_does_not(
    headers: str, expected: str
) -> None:
    value = f'keyId="Test",algorithm="rsa-sha256",headers="{headers}",signature="{expected}"'
    sig = cavage.parse_signature_header(value)
    cavage.verify(REQUEST, sig, KEY.public_key())
    tampered = REQUEST.with_headers({"date": "Sun, 05 Jan 2014 21:31:41 GMT"})
    with pytest.raises(SignatureInvalidError):
        cavage.verify(tampered, sig, KEY.public_key())


def test_parse_reads_every_parameter() -> None:
    sig = cavage.parse_signature_header(
        'keyId="https://a.example/actors/x#main-key",algorithm="hs2019",created=1402170695,'
        ' expires=1402170699,headers="(request-target) (created) host",signature="AAAA"'
    )
    assert sig.key_id == "https://a.example/actors/x#main-key"
    assert sig.algorithm == "hs2019"
    assert sig.headers == ("(request-target)", "(created)", "host")
    assert (sig.created, sig.expires) == (1402170695, 1402170699)


@pytest.mark.parametrize(
    "value",
    [
        'keyId="a"',
        'signature="AAAA"',
        'keyId="a",signature="%%%"',
        'keyId="a",,signature="AA=="',
        'keyId="a",keyId="b",signature="AA=="',
    ],
    ids=["no-signature", "no-keyid", "bad-base64", "garbage", "duplicate"],
)
def test_parse_rejects_malformed_headers(value: str) -> None:
    with pytest.raises(SignatureFormatError):
        cavage.parse_signature_header(value)


def test_unknown_algorithm_is_rejected() -> None:
    value = f'keyId="Test",algorithm="rsa-sha1",headers="(request-target) host date",signature="{BASIC}"'
    with pytest.raises(SignatureInvalidError, match="unsupported algorithm"):
        cavage.verify(REQUEST, cavage.parse_signature_header(value), KEY.public_key())
