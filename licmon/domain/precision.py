"""An organization's ``ip_precision`` applied to whatever is about to be stored.

``full`` keeps what came, ``network`` keeps no address finer than its network (IPv4 /24,
IPv6 /48; IPv4-mapped IPv6 counts as IPv4), ``none`` keeps country and ASN only: no
address, no network, no city, no coordinates. Detectors draft evidence in their own shapes;
these functions reduce any of them without knowing it, so a new detector is covered too.
"""

import ipaddress
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from licmon.domain.models import GeoInfo, IpPrecision
from licmon.domain.network import apply_precision, network_of, parse_ip

PLACE_FIELDS = frozenset({"city", "latitude", "longitude", "accuracy_km"})


def reduce_geo(geo: GeoInfo, precision: IpPrecision) -> GeoInfo:
    """Under ``none`` a location keeps its country, ASN and anonymizer kind only."""
    if precision is not IpPrecision.NONE:
        return geo
    return replace(geo, city=None, latitude=None, longitude=None, accuracy_km=None)


def reduce_text(text: str, precision: IpPrecision) -> str | None:
    """An address or network in text, reduced; None where nothing of it may stay. Text that
    names no address passes unchanged."""
    if precision is IpPrecision.FULL:
        return text
    address = parse_ip(text)
    if address is not None:
        return apply_precision(address, precision)
    network = _parse_network(text)
    if network is None:
        return text
    if precision is IpPrecision.NONE:
        return None
    return str(network_of(network.network_address)) if _finer(network) else str(network)


def reduce_evidence(value: Any, precision: IpPrecision) -> Any:
    """Evidence (nested mappings, lists, scalars) with every address and network reduced
    and, under ``none``, every place field (city, coordinates, accuracy) left out."""
    if precision is IpPrecision.FULL:
        return value
    if isinstance(value, Mapping):
        return {
            key: reduce_evidence(item, precision)
            for key, item in value.items()
            if not (precision is IpPrecision.NONE and key in PLACE_FIELDS)
        }
    if isinstance(value, list | tuple):
        return [reduce_evidence(item, precision) for item in value]
    if isinstance(value, str):
        return reduce_text(value, precision)
    return value


def reduce_scope(scope: str, precision: IpPrecision) -> str:
    """A flag's source network under the precision ('' where none may be kept)."""
    return reduce_text(scope, precision) or "" if scope else ""


def _parse_network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    if "/" not in text:
        return None
    try:
        network = ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None
    mapped = network.network_address
    if isinstance(mapped, ipaddress.IPv6Address) and mapped.ipv4_mapped is not None:
        prefix = max(network.prefixlen - 96, 0)
        return ipaddress.ip_network((mapped.ipv4_mapped, prefix), strict=False)
    return network


def _finer(network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> bool:
    return network.prefixlen > (24 if network.version == 4 else 48)
