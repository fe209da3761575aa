"""Addresses as small integer keys: the network (/24, /48) and the host (IPv4, IPv6 /64).

Detectors keep these keys in memory, never address text; ``network_text`` renders a network
for a flag's evidence. Keys of both versions never collide (IPv6 keys are offset).
"""

import ipaddress

from licmon.domain.network import IPAddress

V6_OFFSET = 1 << 64
_UNROUTABLE_V4 = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",  # carrier-grade NAT
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.168.0.0/16",
    )
)
_UNROUTABLE_V6 = tuple(ipaddress.ip_network(n) for n in ("::/127", "fc00::/7", "fe80::/10"))
_V4_RANGES = tuple((int(n.network_address), int(n.broadcast_address)) for n in _UNROUTABLE_V4)
_V6_RANGES = tuple((int(n.network_address), int(n.broadcast_address)) for n in _UNROUTABLE_V6)


def network_key(address: IPAddress) -> int:
    value = int(address)
    return value >> 8 if address.version == 4 else V6_OFFSET + (value >> 80)


def host_key(address: IPAddress) -> int:
    value = int(address)
    return value if address.version == 4 else V6_OFFSET + (value >> 64)


def routable(address: IPAddress) -> bool:
    """False for private, carrier-grade NAT, loopback and link-local addresses."""
    value = int(address)
    for low, high in _V4_RANGES if address.version == 4 else _V6_RANGES:
        if low <= value <= high:
            return False
    return True


def network_text(key: int) -> str:
    if key < V6_OFFSET:
        return f"{ipaddress.IPv4Address(key << 8)}/24"
    return f"{ipaddress.IPv6Address((key - V6_OFFSET) << 80)}/48"
