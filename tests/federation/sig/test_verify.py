"""Signature policy: round trips for both schemes and every rejection the issue names."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from federation.errors import (
    SignatureExpiredError,
    SignatureFormatError,
    SignatureInvalidError,
)
from federation.sig import cavage, rfc9421
from federation.sig.keys import generate_rsa
from federation.sig.verify import claim_of, verify_request
from federation.types import HttpRequest

KEY = generate_rsa()
OTHER = generate_rsa()
KEY_ID = "https://a.example/actors/housing#main-key"
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
BODY = b'{"type":"Follow"}'
POST = HttpRequest.build(
    "POST",
    "https://b.example/actors/x/inbox",
    {"content-type": "application/activity+json"},
    BODY,
)
GET = HttpRequest.build(
    "GET", "https://b.example/actors/x?page=1", {"accept": "application/activity+json"}
)


def _cavage(req: HttpRequest, now: datetime = NOW) -> HttpRequest:
    return req.with_headers(cavage.sign(req, key_id=KEY_ID, private_key=KEY, now=now))


def _rfc(req: HttpRequest, now: datetime = NOW) -> HttpRequest:
    return req.with_headers(rfc9421.sign(req, key_id=KEY_ID, private_key=KEY, now=now))


@pytest.mark.parametrize("sign", [_cavage, _rfc], ids=["cavage", "rfc9421"])
@pytest.mark.parametrize("req", [POST, GET], ids=["post", "get"])
def test_signed_request_verifies_and_names_its_key(
    sign: Callable[..., HttpRequest], req: HttpRequest
) -> None:
    signed = sign(req)
    assert claim_of(signed).key_id == KEY_ID
    verdict = verify_request(signed, KEY.public_key(), now=NOW)
    assert verdict.key_id == KEY_ID


def test_cavage_post_covers_request_target_host_date_digest() -> None:
    signed = _cavage(POST)
    assert 'headers="(request-target) host date digest"' in signed.headers["signature"]
    assert signed.headers["host"] == "b.example"
    assert signed.headers["digest"].startswith("SHA-256=")


@pytest.mark.parametrize("sign", [_cavage, _rfc], ids=["cavage", "rfc9421"])
def test_wrong_key_is_rejected(sign: Callable[..., HttpRequest]) -> None:
    with pytest.raises(SignatureInvalidError):
        verify_request(sign(POST), OTHER.public_key(), now=NOW)


@pytest.mark.parametrize("sign", [_cavage, _rfc], ids=["cavage", "rfc9421"])
def test_tampered_body_is_rejected(sign: Callable[..., HttpRequest]) -> None:
    signed = sign(POST)
    tampered = HttpRequest(
        signed.method, signed.url, signed.headers, b'{"type":"Delete"}'
    )
    with pytest.raises(SignatureInvalidError, match="igest does not match"):
        verify_request(tampered, KEY.public_key(), now=NOW)


def test_tampered_digest_is_rejected() -> None:
    signed = _cavage(POST)
    other = cavage.sign(
        HttpRequest.build("POST", POST.url, {}, b"x"),
        key_id=KEY_ID,
        private_key=KEY,
        now=NOW,
    )["digest"]
    tampered = HttpRequest(
        signed.method, signed.url, {**signed.headers, "digest": other}, b"x"
    )
    with pytest.raises(SignatureInvalidError):
        verify_request(tampered, KEY.public_key(), now=NOW)


def test_tampered_content_digest_is_rejected() -> None:
    signed = _rfc(POST)
    forged = rfc9421.sign(
        HttpRequest.build("POST", POST.url, {}, b"x"),
        key_id=KEY_ID,
        private_key=KEY,
        now=NOW,
    )["content-digest"]
    tampered = HttpRequest(
        signed.method, signed.url, {**signed.headers, "content-digest": forged}, b"x"
    )
    with pytest.raises(SignatureInvalidError):
        verify_request(tampered, KEY.public_key(), now=NOW)


def _resign_cavage(
    req: HttpRequest, headers: str, algorithm: str = "rsa-sha256"
) -> HttpRequest:
    import base64

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    signed = _cavage(req)
    text = cavage.signing_string(signed, tuple(headers.split())).encode()
    sig = base64.b64encode(KEY.sign(text, padding.PKCS1v15(), hashes.SHA256())).decode()
    value = f'keyId="{KEY_ID}",algorithm="{algorithm}",headers="{headers}",signature="{sig}"'
    return signed.with_headers({"signature": value})


def test_date_missing_from_signed_set_is_rejected() -> None:
    with pytest.raises(SignatureInvalidError, match="cover date"):
        verify_request(
            _resign_cavage(POST, "(request-target) host digest"),
            KEY.public_key(),
            now=NOW,
        )


def test_digest_missing_from_signed_set_of_post_is_rejected() -> None:
    with pytest.raises(SignatureInvalidError, match="cover digest"):
        verify_request(
            _resign_cavage(POST, "(request-target) host date"),
            KEY.public_key(),
            now=NOW,
        )


def test_unknown_algorithm_is_rejected() -> None:
    with pytest.raises(SignatureInvalidError, match="unsupported algorithm"):
        verify_request(
            _resign_cavage(POST, "(request-target) host date digest", "rsa-sha1"),
            KEY.public_key(),
            now=NOW,
        )


def test_hs2019_with_rsa_key_is_accepted_as_mastodon_does() -> None:
    verify_request(
        _resign_cavage(POST, "(request-target) host date digest", "hs2019"),
        KEY.public_key(),
        now=NOW,
    )


@pytest.mark.parametrize("sign", [_cavage, _rfc], ids=["cavage", "rfc9421"])
@pytest.mark.parametrize(
    "offset",
    [timedelta(hours=-1, minutes=-5), timedelta(hours=1, minutes=5)],
    ids=["stale", "future"],
)
def test_time_outside_window_is_rejected(
    sign: Callable[..., HttpRequest], offset: timedelta
) -> None:
    signed = sign(POST, now=NOW + offset)
    with pytest.raises(SignatureExpiredError):
        verify_request(signed, KEY.public_key(), now=NOW)


def test_time_inside_configured_window_is_accepted() -> None:
    signed = _cavage(POST, now=NOW - timedelta(minutes=50))
    verify_request(signed, KEY.public_key(), now=NOW, window=timedelta(hours=1))
    with pytest.raises(SignatureExpiredError):
        verify_request(signed, KEY.public_key(), now=NOW, window=timedelta(minutes=30))


def test_unsigned_request_is_a_format_error() -> None:
    with pytest.raises(SignatureFormatError):
        claim_of(POST)


def test_rfc9421_with_two_signatures_is_refused() -> None:
    signed = _rfc(POST)
    doubled = signed.with_headers(
        {
            "signature-input": signed.headers["signature-input"]
            + ", "
            + signed.headers["signature-input"].replace("sig1", "sig2"),
            "signature": signed.headers["signature"]
            + ", "
            + signed.headers["signature"].replace("sig1", "sig2"),
        }
    )
    with pytest.raises(SignatureFormatError, match="exactly one"):
        verify_request(doubled, KEY.public_key(), now=NOW)


def test_rfc9421_must_cover_method_and_target() -> None:
    from federation.sig.digest import content_digest_header

    req = POST.with_headers({"content-digest": content_digest_header(BODY)})
    headers = rfc9421.sign(
        req, key_id=KEY_ID, private_key=KEY, now=NOW, covered=("content-digest",)
    )
    with pytest.raises(SignatureInvalidError, match="@method"):
        verify_request(req.with_headers(headers), KEY.public_key(), now=NOW)


@pytest.mark.parametrize("scheme", ["cavage", "rfc9421"])
def test_a_request_signed_for_another_server_does_not_verify_here(scheme: str) -> None:
    """A replay: a delivery signed for other.example, sent on to node.example."""
    now = datetime.now(UTC)
    original = HttpRequest.build(
        "POST",
        "https://other.example/inbox",
        {"content-type": "application/activity+json"},
        b"{}",
    )
    module = rfc9421 if scheme == "rfc9421" else cavage
    headers = module.sign(
        original, key_id="https://m.example/u#k", private_key=KEY, now=now
    )
    replayed = HttpRequest.build(
        "POST", "https://node.example/inbox", {**original.headers, **headers}, b"{}"
    )
    with pytest.raises(SignatureInvalidError):
        verify_request(replayed, KEY.public_key(), now=now, host="node.example")
