"""Client addresses: trusted-proxy resolution, networks (/24, /48) and ingest precision."""

import ipaddress
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from licmon.domain.models import IpPrecision

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
V4_PREFIX = 24
V6_PREFIX = 48
V4_NETWORK_MASK = ~((1 << (32 - V4_PREFIX)) - 1) & 0xFFFFFFFF


def parse_ip(text: str) -> IPAddress | None:
    """An address from text (with an optional port or brackets); IPv4-mapped IPv6 becomes IPv4."""
    # A plain dotted quad (every IPv4 peer): the C library's parser, which accepts exactly
    # what ipaddress does (checked against it in tests/domain/test_network.py).
    try:
        return ipaddress.IPv4Address(socket.inet_pton(socket.AF_INET, text))
    except (OSError, ValueError):
        pass
    try:
        address = ipaddress.ip_address(_strip_port(text.strip().strip('"')))
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def address_text(address: IPAddress) -> str:
    """``str(address)``, faster for IPv4."""
    return socket.inet_ntoa(address.packed) if address.version == 4 else str(address)


def network_of(address: IPAddress) -> IPNetwork:
    prefix = V4_PREFIX if address.version == 4 else V6_PREFIX
    return ipaddress.ip_network((address, prefix), strict=False)


def apply_precision(address: IPAddress, precision: IpPrecision) -> str | None:
    """What the connection log may keep of an address under the organization's precision."""
    if precision is IpPrecision.FULL:
        return address_text(address)
    if precision is IpPrecision.NETWORK:
        return network_text(address)
    return None


def network_text(address: IPAddress) -> str:
    """``str(network_of(address))``, faster for IPv4."""
    if address.version != 4:
        return str(network_of(address))
    network = (int(address) & V4_NETWORK_MASK).to_bytes(4, "big")
    return f"{socket.inet_ntoa(network)}/{V4_PREFIX}"


FORWARDED_HEADERS = ("X-Forwarded-For", "Forwarded")


@dataclass(frozen=True, slots=True)
class TrustedProxies:
    """The proxies whose header is believed, and the one header they set (the other header
    is ignored: a proxy that sets X-Forwarded-For may pass a client's own Forwarded on)."""

    networks: tuple[IPNetwork, ...] = ()
    header: str = "X-Forwarded-For"

    @classmethod
    def parse(cls, cidrs: Iterable[str], header: str = "X-Forwarded-For") -> "TrustedProxies":
        names = {name.lower(): name for name in FORWARDED_HEADERS}
        if header.lower() not in names:
            raise ValueError(f"the proxy header is one of {', '.join(FORWARDED_HEADERS)}")
        networks = tuple(ipaddress.ip_network(cidr, strict=False) for cidr in cidrs)
        return cls(networks, names[header.lower()])

    def trusts(self, address: IPAddress) -> bool:
        return any(address in network for network in self.networks)


def resolve_client(
    peer: str | None, header_values: Sequence[str], trusted: TrustedProxies
) -> IPAddress | None:
    """The client's address: the socket peer, unless that peer is a trusted proxy.

    Behind trusted proxies the hops of their header are read right to left; the first hop
    that is not a trusted proxy is the client. A malformed hop ends the walk at the peer.
    """
    peer_ip = parse_ip(peer) if peer else None
    if peer_ip is None or not trusted.networks or not trusted.trusts(peer_ip):
        return peer_ip
    forwarded = trusted.header == "Forwarded"
    hops = _forwarded_hops(header_values) if forwarded else _xff_hops(header_values)
    client = peer_ip
    for hop in reversed(hops):
        hop_ip = parse_ip(hop)
        if hop_ip is None:
            return peer_ip
        client = hop_ip
        if not trusted.trusts(hop_ip):
            break
    return client


def _xff_hops(headers: Sequence[str]) -> list[str]:
    return [part.strip() for header in headers for part in header.split(",") if part.strip()]


def _forwarded_hops(headers: Sequence[str]) -> list[str]:
    hops = []
    for element in (e for header in headers for e in header.split(",")):
        for pair in element.split(";"):
            name, _, value = pair.strip().partition("=")
            if name.lower() == "for":
                hops.append(value.strip().strip('"'))
    return hops


def _strip_port(text: str) -> str:
    if text.startswith("["):
        return text[1 : text.find("]")] if "]" in text else text
    if text.count(":") == 1:
        return text.split(":", 1)[0]
    return text
