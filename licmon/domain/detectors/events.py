"""What detectors see (one check-in) and what they draft (a flag), and their protocol."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from licmon.domain.models import DenyReason, Outcome


class FlagKind(StrEnum):
    SEAT_OVERUSE = "seat_overuse"
    MACHINE_SHARING = "machine_sharing"
    NETWORK_SPREAD = "network_spread"
    IMPOSSIBLE_TRAVEL = "impossible_travel"
    TERRITORY = "territory"
    UNKNOWN_COUNTRY = "unknown_country"
    ANONYMIZER = "anonymizer"
    KEY_GUESSING = "key_guessing"
    DEAD_KEY = "dead_key"
    CLOCK_TAMPERING = "clock_tampering"
    REPLAYED_NONCE = "replayed_nonce"
    GUESSING_CAMPAIGN = "guessing_campaign"
    CLONED_MACHINE = "cloned_machine"
    OVERAGE = "overage"


class Severity(StrEnum):
    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


@dataclass(frozen=True, slots=True)
class CheckinEvent:
    """One answered check-in, as detectors see it: networks, never addresses.

    ``network`` and ``host`` are keys from ``netkeys`` (IPv4 /24 or IPv6 /48; IPv4 address
    or IPv6 /64); ``license_id`` is None for an unknown key.
    """

    at: int
    outcome: Outcome
    network: int
    host: int = 0
    license_id: int | None = None
    machine: str = ""
    reason: DenyReason | None = None
    routable: bool = True
    located: bool = True  # a country database was asked: no country means unknown
    asn: int | None = None
    country: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    accuracy_km: int | None = None
    anonymizer: str | None = None
    client_time: int | None = None
    nonce: str | None = None
    seats: int = 1
    max_machines: int = 1
    allowed_countries: frozenset[str] = frozenset()
    well_formed: bool = True  # an unknown key that passed its check character
    lease_seconds: int = 3600
    known_place: str | None = None  # "office" or "vpn": declared by the organization
    overage: bool = False  # granted beyond the license's seats, within its overage
    chain_forked: bool = False  # the installation's lease chain forked

    @property
    def usable(self) -> bool:
        """The license itself allowed this check-in (granted, renewed or refused for seats)."""
        return self.outcome in (Outcome.GRANTED, Outcome.RENEWED) or (
            self.reason is DenyReason.SEATS_EXHAUSTED
        )


@dataclass(frozen=True, slots=True)
class FlagDraft:
    """A detector's finding. ``scope`` tells apart flags without a license (a network)."""

    kind: FlagKind
    severity: Severity
    license_id: int | None
    at: int
    evidence: Mapping[str, Any] = field(default_factory=dict)
    scope: str = ""


class Detector(Protocol):
    kind: FlagKind

    def observe(self, event: CheckinEvent, now: int) -> FlagDraft | None:
        """Update bounded state with one check-in; a draft when the abuse pattern shows."""
        ...
