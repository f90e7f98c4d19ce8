"""Domains in moderation: one normal form, blocks that cover subdomains and ports only on
label boundaries."""

import pytest
from hypothesis import given, strategies as st

from federation import domains


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("Example.ORG.", "example.org"),
        ("example.org:8443", "example.org"),
        ("https://Sub.Example.org:8443/users/x", "sub.example.org"),
        ("bücher.example", "xn--bcher-kva.example"),
        (" example.org ", "example.org"),
    ],
)
def test_a_domain_has_one_normal_form(typed: str, stored: str) -> None:
    assert domains.normalize(typed) == stored


@pytest.mark.parametrize("bad", ["", ".", "exa mple.org", "a..b", "-x.org", "x" * 300])
def test_what_is_not_a_domain_is_refused(bad: str) -> None:
    with pytest.raises(domains.DomainError):
        domains.normalize(bad)


def test_a_block_covers_subdomains_on_label_boundaries_only() -> None:
    assert domains.covers("example.org", "example.org")
    assert domains.covers("example.org", "sub.example.org")
    assert domains.covers("example.org", "a.b.example.org")
    assert not domains.covers("example.org", "evil-example.org")
    assert not domains.covers("example.org", "example.org.evil.net")
    assert domains.suffixes("A.b.Example.org:443") == [
        "a.b.example.org",
        "b.example.org",
        "example.org",
        "org",
    ]


LABEL = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)


@given(st.lists(LABEL, min_size=1, max_size=5), st.sampled_from(["", ".", ":8443"]))
def test_normalizing_is_idempotent_and_case_free(labels: list[str], tail: str) -> None:
    host = ".".join(labels)
    once = domains.normalize(host.upper() + tail)
    assert once == host
    assert domains.normalize(once) == once
    assert domains.covers(once, "sub." + once)


@given(st.text(max_size=80))
def test_any_text_normalizes_or_is_refused_never_crashes(text: str) -> None:
    try:
        result = domains.normalize(text)
    except domains.DomainError:
        return
    assert result == result.lower()
    assert (
        ":" not in result or result.count(":") > 1
    )  # only an IPv6 literal keeps colons


@given(st.text(max_size=200))
def test_host_of_any_text_is_a_normal_host_or_none(text: str) -> None:
    host = domains.host_of(text)
    assert host is None or host == domains.normalize(host)


def test_refused_covers_subdomains_and_ports_and_allowlist_mode() -> None:
    from federation.domains import refused

    hosts = ["evil.example", "a.evil.example:8443", "evil-example.org", "good.example"]
    assert refused(
        hosts,
        blocked=frozenset({"evil.example"}),
        allowed=frozenset(),
        allowlist_mode=False,
    ) == ["evil.example", "a.evil.example:8443"]
    assert refused(
        hosts,
        blocked=frozenset(),
        allowed=frozenset({"good.example"}),
        allowlist_mode=True,
    ) == ["evil.example", "a.evil.example:8443", "evil-example.org"]
