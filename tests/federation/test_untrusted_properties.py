"""Property-based tests (Hypothesis) of every parser that takes bytes from strangers: each
either answers or refuses with its own error, never anything else, and what it accepts
keeps the promises made about it."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import ipaddress
import json
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from federation import jsonshape
from federation.errors import DocumentError, FederationError, FetchRefusedError
from federation.fetch import guard
from federation.sig import cavage, digest, rfc9421
from federation.sig.verify import claim_of, precheck
from federation.types import HttpRequest
from federation.webfinger import WebFingerError, parse_acct

TEXT = st.text(max_size=300)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=30,
)


@given(TEXT)
def test_a_cavage_signature_header_parses_or_is_a_signature_error(value: str) -> None:
    try:
        sig = cavage.parse_signature_header(value)
    except FederationError:
        return
    assert sig.key_id
    assert len(sig.headers) <= cavage.MAX_COVERED


@given(
    st.dictionaries(
        st.sampled_from(["keyId", "headers", "signature", "algorithm", "created"]),
        st.text(alphabet=st.characters(blacklist_characters='"\\\n\r'), max_size=40),
    )
)
def test_a_well_quoted_header_of_any_values_never_crashes(
    params: dict[str, str],
) -> None:
    value = ",".join(f'{k}="{v}"' for k, v in params.items())
    with contextlib.suppress(FederationError):
        cavage.parse_signature_header(value)


@given(TEXT, TEXT)
def test_rfc9421_signature_input_parses_or_is_a_signature_error(
    signature_input: str, signature: str
) -> None:
    request = HttpRequest.build(
        "POST",
        "https://node.example/inbox",
        {"signature-input": signature_input, "signature": signature},
        b"{}",
    )
    try:
        parsed = rfc9421.parse_signature_input(request)
    except FederationError:
        return
    assert len(parsed.covered) <= rfc9421.MAX_COVERED


@given(st.binary(max_size=200), TEXT)
def test_a_digest_verifies_only_for_its_own_body(body: bytes, value: str) -> None:
    digest.verify_digest(digest.digest_header(body), body)
    digest.verify_content_digest(digest.content_digest_header(body), body)
    try:
        digest.verify_digest(value, body)
    except FederationError:
        return
    # whatever else was accepted must really be the body's SHA-256
    good = base64.b64encode(hashlib.sha256(body).digest()).decode()
    assert good in value


@given(st.binary(max_size=100), st.binary(min_size=1, max_size=100))
def test_a_digest_of_another_body_is_refused(body: bytes, other: bytes) -> None:
    if body == other:
        return
    with pytest.raises(FederationError):
        digest.verify_digest(digest.digest_header(other), body)
    with pytest.raises(FederationError):
        digest.verify_content_digest(digest.content_digest_header(other), body)


@given(
    st.dictionaries(
        st.sampled_from(["signature", "signature-input", "date", "digest", "host"]),
        TEXT,
    ),
    st.binary(max_size=50),
)
@settings(suppress_health_check=[HealthCheck.too_slow])
def test_the_key_free_checks_refuse_with_signature_errors_only(
    headers: dict[str, str], body: bytes
) -> None:
    request = HttpRequest.build("POST", "https://node.example/inbox", headers, body)
    try:
        precheck(request, now=datetime.now(UTC), host="node.example")
    except FederationError:
        return
    assert claim_of(request).key_id  # accepted only with a key to look up


@given(JSON)
def test_json_within_the_limits_parses_back_to_itself(value: object) -> None:
    raw = json.dumps(value)
    refused: DocumentError | None = None
    parsed: object = None
    try:
        parsed = jsonshape.parse(raw)
    except DocumentError as exc:
        refused = exc
    if refused is not None:
        assert refused.code in (
            "nul_in_text",
            "too_deep",
            "array_too_long",
            "bad_unicode",
        )
    else:
        assert parsed == json.loads(raw)


# any code point, lone surrogates and NUL among them, and deep enough to pass the limit
RISKY_TEXT = st.text(st.characters(exclude_categories=()), max_size=20)
RISKY_JSON = st.recursive(
    st.integers() | RISKY_TEXT,
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(RISKY_TEXT, children, max_size=3)
    ),
    max_leaves=80,
)


def _walk_refusal(value: object) -> str | None:
    try:
        jsonshape.check_shape(value)
    except DocumentError as exc:
        return exc.code
    return None


@given(RISKY_JSON, st.sampled_from(["utf-8", "utf-16", "utf-32-le"]), st.booleans())
def test_parse_refuses_exactly_what_a_walk_of_the_document_refuses(
    value: object, encoding: str, ascii_only: bool
) -> None:
    """parse skips the walk when the bytes show it cannot fail: it must agree with it."""
    text = json.dumps(value, ensure_ascii=ascii_only)
    try:
        raw = text.encode(encoding)
    except UnicodeEncodeError:  # a lone surrogate written as itself: not UTF-anything
        return
    try:
        jsonshape.parse(raw)
        refused = None
    except DocumentError as exc:
        refused = exc.code
    assert refused == _walk_refusal(json.loads(text))


def test_a_lone_surrogate_is_bad_unicode_and_a_pair_is_a_character() -> None:
    assert jsonshape.parse(b'{"a": "\\ud83d\\ude00"}') == {"a": "\U0001f600"}
    for raw in (b'{"a": "\\ud800"}', b'{"\\uDC00": 1}', '["\\ud800"]'):
        with pytest.raises(DocumentError) as refused:
            jsonshape.parse(raw)
        assert refused.value.code == "bad_unicode"


@given(st.binary(max_size=300))
def test_any_bytes_parse_or_are_a_400_document_error(raw: bytes) -> None:
    status = 400
    try:
        jsonshape.parse(raw)
    except DocumentError as exc:
        status = exc.status
    assert status == 400


@given(st.integers(min_value=65, max_value=5000))
def test_nesting_beyond_the_limit_is_too_deep_however_deep(depth: int) -> None:
    with pytest.raises(DocumentError) as refused:
        jsonshape.parse("[" * depth + "]" * depth)
    assert refused.value.code == "too_deep"


@given(TEXT)
def test_a_webfinger_resource_parses_to_user_and_host_or_is_refused(
    resource: str,
) -> None:
    try:
        acct = parse_acct(resource)
    except WebFingerError:
        return
    assert acct.user
    assert acct.host
    assert "@" not in acct.user
    assert "/" not in acct.host


@given(TEXT)
def test_the_fetch_guard_accepts_only_public_https_urls(url: str) -> None:
    try:
        checked = guard.check_url(url, allow_private=False)
    except FetchRefusedError:
        return
    assert checked.startswith("https://")
    host = checked.split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)[0].strip("[]")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        assert host != "localhost"
        return
    assert guard.forbidden_reason(address) is None


@given(st.ip_addresses())
def test_no_private_or_loopback_address_passes_the_guard(address: object) -> None:
    ip = ipaddress.ip_address(str(address))
    host = f"[{ip}]" if ip.version == 6 else str(ip)
    try:
        guard.check_url(f"https://{host}/x", allow_private=False)
    except FetchRefusedError:
        return
    assert ip.is_global, f"{ip} passed the guard"
