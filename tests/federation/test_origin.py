import pytest

from federation.origin import Origin, authority, normalize_host, origin_of, same_origin
from federation.webfinger import Acct, WebFingerError, parse_acct, self_link


def test_origin_is_a_normalised_tuple() -> None:
    assert origin_of("https://Bücher.Example./x") == Origin(
        "https", "xn--bcher-kva.example", 443
    )
    assert origin_of("http://a.example:8080/") == Origin("http", "a.example", 8080)


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("https://a.example/x", "https://A.EXAMPLE:443/y", True),
        ("https://a.example/x", "https://a.example./y", True),
        ("https://a.example/x", "http://a.example/x", False),
        ("https://a.example/x", "https://a.example:8443/x", False),
        ("https://a.example/x", "https://a.example.evil.example/x", False),
        ("https://a.example/x", "https://evil.example/a.example", False),
        ("https://a.example@evil.example/x", "https://a.example/x", False),
        ("https://a.example/x", "not a url", False),
    ],
    ids=[
        "case-and-port",
        "trailing-dot",
        "scheme",
        "port",
        "suffix",
        "path",
        "userinfo",
        "garbage",
    ],
)
def test_same_origin_compares_tuples_not_strings(a: str, b: str, same: bool) -> None:
    assert same_origin(a, b) is same


def test_authority_omits_default_port() -> None:
    assert authority("https://a.example:443/x") == "a.example"
    assert authority("http://127.0.0.2:8080/x") == "127.0.0.2:8080"


def test_normalize_host_rejects_empty_labels() -> None:
    with pytest.raises(ValueError, match="invalid host"):
        normalize_host("a.example..")


@pytest.mark.parametrize(
    "text",
    [
        "acct:housing@seattle.example",
        "housing@seattle.example",
        "@housing@Seattle.Example",
    ],
)
def test_parse_acct_accepts_what_people_type(text: str) -> None:
    assert parse_acct(text) == Acct("housing", "seattle.example")


@pytest.mark.parametrize("text", ["housing", "acct:@x", "a@b@c", "acct:x@host/path"])
def test_parse_acct_rejects_garbage(text: str) -> None:
    with pytest.raises(WebFingerError):
        parse_acct(text)


def test_self_link_requires_an_activitypub_type() -> None:
    with pytest.raises(WebFingerError):
        self_link(
            {
                "links": [
                    {"rel": "self", "type": "text/html", "href": "https://a.example/x"}
                ]
            }
        )
    assert (
        self_link(
            {
                "links": [
                    {
                        "rel": "self",
                        "type": "application/activity+json",
                        "href": "https://a.example/x",
                    }
                ]
            }
        )
        == "https://a.example/x"
    )


def test_huge_urls_are_parsed_but_never_remembered() -> None:
    """Hosts and origins are read from URLs before any signature is checked: a flood of
    distinct 100 KB URLs must not be kept (8,192 of them would be 800 MB)."""
    from federation import domains, origin

    before = (
        origin._remembered_origin.cache_info().currsize,
        domains._remembered_host.cache_info().currsize,
    )
    for i in range(50):
        url = f"https://flood.example/{i}/" + "a" * 100_000
        assert origin_of(url) == Origin("https", "flood.example", 443)
        assert domains.host_of(url) == "flood.example"
    assert (
        origin._remembered_origin.cache_info().currsize,
        domains._remembered_host.cache_info().currsize,
    ) == before
    short = "https://flood.example/actor"
    assert domains.host_of(short) == "flood.example"
    assert origin_of(short).host == "flood.example"
    assert origin._remembered_origin.cache_info().currsize <= before[0] + 1
    assert domains._remembered_host.cache_info().currsize == before[1] + 1
