"""Check-in events for detector tests: one helper per look, all defaults honest."""

import ipaddress
from dataclasses import replace
from typing import Any

from licmon.domain.detectors import CheckinEvent
from licmon.domain.detectors.netkeys import host_key, network_key, routable
from licmon.domain.models import DenyReason, Outcome

T0 = 1_795_000_000


def event(at: int = T0, address: str = "198.51.100.7", **fields: Any) -> CheckinEvent:
    ip = ipaddress.ip_address(address)
    base = CheckinEvent(
        at=at,
        outcome=Outcome.RENEWED,
        network=network_key(ip),
        host=host_key(ip),
        license_id=1,
        machine="machine-0001",
        routable=routable(ip),
        seats=1,
        max_machines=2,
    )
    return replace(base, **fields)


def refused(at: int, machine: str, reason: DenyReason = DenyReason.SEATS_EXHAUSTED) -> CheckinEvent:
    return event(at, outcome=Outcome.DENIED, reason=reason, machine=machine)


def located(at: int, lat: float, lon: float, accuracy: int = 20, **fields: Any) -> CheckinEvent:
    return event(at, latitude=lat, longitude=lon, accuracy_km=accuracy, country="XX", **fields)


def invalid(at: int, address: str, machine: str = "guesser-01") -> CheckinEvent:
    return event(at, address, outcome=Outcome.INVALID_KEY, license_id=None, machine=machine)
