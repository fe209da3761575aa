"""An organization's known places: the networks it declared (offices, VPN egresses).

A check-in from a declared network is no evidence of spread, travel or cloning: the
company's VPN exit in another country is where its people are expected to come from.
"""

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

from licmon.domain.network import IPAddress

PLACE_KINDS = ("office", "vpn")


@dataclass(frozen=True, slots=True)
class KnownPlace:
    org_id: int
    network: str  # CIDR, as declared
    kind: str
    label: str = ""


def parse_place_network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """A declared network in CIDR notation; ValueError with a sentence when it is not one."""
    try:
        network = ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        raise ValueError(
            f"{text!r} is not a network in CIDR notation (e.g. 192.0.2.0/24)"
        ) from None
    widest = 8 if network.version == 4 else 16
    if network.prefixlen < widest:
        raise ValueError(f"a known place is at most a /{widest}: {network} is too wide")
    return network


class KnownPlaces:
    """Declared networks per organization; ``kind_of`` answers in a few comparisons."""

    def __init__(self, places: Iterable[KnownPlace] = ()) -> None:
        self._by_org: dict[int, list[tuple[int, int, int, str]]] = {}
        for place in places:
            net = parse_place_network(place.network)
            low, high = int(net.network_address), int(net.broadcast_address)
            self._by_org.setdefault(place.org_id, []).append((net.version, low, high, place.kind))

    def kind_of(self, org_id: int, address: IPAddress) -> str | None:
        ranges = self._by_org.get(org_id)
        if not ranges:
            return None
        version, value = address.version, int(address)
        for v, low, high, kind in ranges:
            if v == version and low <= value <= high:
                return kind
        return None

    def __len__(self) -> int:
        return sum(len(r) for r in self._by_org.values())
