import ipaddress
import random

import pytest

from licmon.domain.models import IpPrecision
from licmon.domain.network import (
    TrustedProxies,
    address_text,
    apply_precision,
    network_of,
    network_text,
    parse_ip,
    resolve_client,
)

PROXY = TrustedProxies.parse(["10.0.0.0/8", "::1/128"])


def test_ipv4_mapped_ipv6_is_treated_as_ipv4() -> None:
    assert parse_ip("::ffff:203.0.113.9") == ipaddress.ip_address("203.0.113.9")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("203.0.113.9:5555", "203.0.113.9"),
        ("[2001:db8::1]:443", "2001:db8::1"),
        ('"[2001:db8::1]"', "2001:db8::1"),
        (" 198.51.100.1 ", "198.51.100.1"),
    ],
)
def test_addresses_with_ports_and_brackets(text: str, expected: str) -> None:
    assert str(parse_ip(text)) == expected


@pytest.mark.parametrize("text", ["", "unknown", "999.1.1.1", "_hidden", "1.2.3"])
def test_garbage_is_not_an_address(text: str) -> None:
    assert parse_ip(text) is None


@pytest.mark.parametrize(
    ("address", "full", "network"),
    [
        ("203.0.113.9", "203.0.113.9", "203.0.113.0/24"),
        ("2001:db8:abcd:12::1", "2001:db8:abcd:12::1", "2001:db8:abcd::/48"),
        ("::ffff:198.51.100.77", "198.51.100.77", "198.51.100.0/24"),
    ],
)
def test_precision(address: str, full: str, network: str) -> None:
    ip = parse_ip(address)
    assert ip is not None
    assert apply_precision(ip, IpPrecision.FULL) == full
    assert apply_precision(ip, IpPrecision.NETWORK) == network
    assert apply_precision(ip, IpPrecision.NONE) is None
    assert str(network_of(ip)) == network


FORWARDED_PROXY = TrustedProxies.parse(["10.0.0.0/8", "::1/128"], "forwarded")


def test_forwarded_headers_are_ignored_from_an_untrusted_peer() -> None:
    assert str(resolve_client("198.51.100.7", ["1.2.3.4"], PROXY)) == "198.51.100.7"


def test_no_trusted_proxies_means_the_peer_always() -> None:
    assert str(resolve_client("10.0.0.5", ["1.2.3.4"], TrustedProxies())) == "10.0.0.5"


def test_x_forwarded_for_from_a_trusted_proxy_takes_the_rightmost_untrusted_hop() -> None:
    # the client forged "6.6.6.6"; our proxies appended the real client and themselves
    hops = ["6.6.6.6, 203.0.113.9, 10.1.1.1"]
    assert str(resolve_client("10.0.0.5", hops, PROXY)) == "203.0.113.9"


def test_the_forwarded_header_when_the_proxy_sets_that_one() -> None:
    forwarded = ['for=192.0.2.60;proto=https, for="[2001:db8:cafe::17]:4711"']
    assert str(resolve_client("::1", forwarded, FORWARDED_PROXY)) == "2001:db8:cafe::17"
    assert FORWARDED_PROXY.header == "Forwarded"


def test_an_unknown_proxy_header_is_refused() -> None:
    with pytest.raises(ValueError, match="X-Forwarded-For, Forwarded"):
        TrustedProxies.parse(["10.0.0.0/8"], "X-Real-IP")


def test_a_malformed_hop_falls_back_to_the_peer() -> None:
    assert str(resolve_client("10.0.0.5", ["nonsense"], PROXY)) == "10.0.0.5"


def test_only_proxies_in_the_chain_gives_the_leftmost() -> None:
    assert str(resolve_client("10.0.0.5", ["10.9.9.9, 10.8.8.8"], PROXY)) == "10.9.9.9"


def _dotted_like(rng: random.Random) -> str:
    """Text near a dotted quad: octets out of range, leading zeros, signs, spaces, too few or
    too many parts, non-ASCII digits."""
    odd = ["00", "01", "256", "999", "1e1", "+1", "-1", " 1", "0x1", "\u0661"]
    parts = [
        rng.choice(odd) if rng.random() < 0.05 else str(rng.randrange(256))
        for _ in range(rng.choice([3, 4, 4, 4, 4, 5]))
    ]
    return ("." if rng.random() < 0.95 else rng.choice([",", ".."])).join(parts)


def test_the_fast_dotted_quad_parse_agrees_with_ipaddress() -> None:
    rng = random.Random(13)
    for text in [_dotted_like(rng) for _ in range(5_000)] + ["1.2.3.4", "0.0.0.0"]:
        try:
            expected: object = ipaddress.ip_address(text.strip().strip('"'))
        except ValueError:
            expected = None
        assert parse_ip(text) == expected, text


@pytest.mark.parametrize(
    "text", ["0.0.0.0", "192.0.2.255", "255.255.255.255", "2001:db8::1", "::ffff:1.2.3.4"]
)
def test_address_and_network_text_as_ipaddress_writes_them(text: str) -> None:
    address = ipaddress.ip_address(text)
    assert address_text(address) == str(address)
    assert network_text(address) == str(network_of(address))
