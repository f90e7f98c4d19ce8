import pytest

from federation.errors import FetchRefusedError
from federation.fetch.guard import check_address, check_url, forbidden_reason

FORBIDDEN = [
    "127.0.0.1",
    "10.1.2.3",
    "172.16.5.4",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",
    "0.0.0.0",  # noqa: S104 (an address to refuse, not to bind)
    "224.0.0.1",
    "240.0.0.1",
    "::1",
    "fe80::1",
    "fc00::1",
    "ff02::1",
    "::",
    "::ffff:127.0.0.1",  # IPv4-mapped loopback
    "::ffff:10.0.0.1",  # IPv4-mapped private
    "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
    "64:ff9b:1::1",  # local-use NAT64
    "2002:7f00:1::1",  # 6to4 of 127.0.0.1
    "2002:c0a8:101::1",  # 6to4 of 192.168.1.1
    "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo, client 127.0.0.1
]
ALLOWED = ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111", "::ffff:93.184.216.34"]


@pytest.mark.parametrize("ip", FORBIDDEN)
def test_forbidden_addresses_are_refused(ip: str) -> None:
    with pytest.raises(FetchRefusedError, match="refusing"):
        check_address(ip, allow_private=False)


@pytest.mark.parametrize("ip", ALLOWED)
def test_public_addresses_pass(ip: str) -> None:
    import ipaddress

    assert forbidden_reason(ipaddress.ip_address(ip)) is None
    check_address(ip, allow_private=False)


def test_private_allowed_for_local_test_federation() -> None:
    check_address("127.0.0.1", allow_private=True)


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/actor",  # http without a local test federation
        "ftp://example.com/x",
        "https://user:pw@example.com/x",
        "https://127.0.0.1/actor",
        "https://[::ffff:127.0.0.1]/actor",
        "https://localhost/actor",
        "https:///nohost",
        "https://example.com:99999/x",
    ],
)
def test_check_url_refuses(url: str) -> None:
    with pytest.raises(FetchRefusedError):
        check_url(url, allow_private=False)


def test_check_url_normalises_host() -> None:
    assert (
        check_url("https://Bücher.Example./a?b=1", allow_private=False)
        == "https://xn--bcher-kva.example/a?b=1"
    )


def test_http_allowed_only_for_local_test_federation() -> None:
    assert (
        check_url("http://127.0.0.2:8080/actor", allow_private=True)
        == "http://127.0.0.2:8080/actor"
    )
