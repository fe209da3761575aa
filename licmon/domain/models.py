"""The domain's nouns: plain, immutable dataclasses. Times are integer UTC epoch seconds."""

from dataclasses import dataclass, field
from enum import StrEnum


class LicenseStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    REVOKED = "revoked"


class IpPrecision(StrEnum):
    FULL = "full"
    NETWORK = "network"
    NONE = "none"


class Outcome(StrEnum):
    GRANTED = "granted"
    RENEWED = "renewed"
    DENIED = "denied"
    INVALID_KEY = "invalid_key"
    RELEASED = "released"


class DenyReason(StrEnum):
    EXPIRED = "expired"
    REVOKED = "revoked"
    SUSPENDED = "suspended"
    SEATS_EXHAUSTED = "seats_exhausted"
    PRODUCT_MISMATCH = "product_mismatch"
    TERRITORY = "territory"
    NOT_YET_VALID = "not_yet_valid"
    BORROW_NOT_ALLOWED = "borrow_not_allowed"
    MACHINE_NOT_ALLOWED = "machine_not_allowed"
    PROCESSES_EXHAUSTED = "processes_exhausted"
    CLONED_MACHINE = "cloned_machine"  # a stale branch of a forked lease chain, refused


class SeatKind(StrEnum):
    """How a seat is held: renewed by heartbeats, borrowed for days, or activated offline."""

    ONLINE = "online"
    BORROWED = "borrowed"
    OFFLINE = "offline"


@dataclass(frozen=True, slots=True)
class Org:
    id: int
    slug: str
    name: str
    ip_precision: IpPrecision = IpPrecision.FULL
    retention_days: int = 60


@dataclass(frozen=True, slots=True)
class Product:
    id: int
    code: str
    name: str


@dataclass(frozen=True, slots=True)
class LicenseTerms:
    """What a vendor grants: everything about a license but its identity and key."""

    seats: int
    max_machines: int
    valid_from: int | None = None
    valid_until: int | None = None
    allowed_countries: frozenset[str] = frozenset()
    lease_seconds: int = 1800
    grace_seconds: int = 3 * 86400
    entitlements: tuple[str, ...] = ()
    max_borrow_days: int = 0  # 0: no borrowing
    max_offline_days: int = 0  # 0: no air-gapped activation
    locked_machines: frozenset[str] = frozenset()  # node-locked: only these machines
    activation_limit: int = 0  # node-locked by activation: the first N machines; 0: none
    lock_moves: int = 1  # node locks the customer may move per lock_move_days
    lock_move_days: int = 30
    overage_percent: int = 0  # seats granted beyond `seats` (flagged), as a percentage
    max_processes: int = 0  # program instances per machine; 0: any number
    refuse_cloned: bool = False  # refuse the stale branch of a forked lease chain


@dataclass(frozen=True, slots=True)
class License:
    id: int
    org: Org
    product: str
    terms: LicenseTerms
    status: LicenseStatus = LicenseStatus.ACTIVE
    created_at: int = 0


@dataclass(frozen=True, slots=True)
class CheckinRequest:
    key: str
    product: str
    machine: str
    nonce: str
    client_time: int | None = None
    app_version: str | None = None
    borrow_days: int | None = None  # POST /v1/borrow: hold the seat this many days
    process: str | None = None  # the program instance on the machine (a process id)
    installation: str | None = None  # the installation's secret (lease chain)
    previous: str | None = None  # the id (jti) of the last lease this installation got


@dataclass(frozen=True, slots=True)
class ChainStep:
    """A check-in's link in its installation's lease chain (licmon.domain.chain)."""

    secret_hash: bytes
    presented: str | None  # the last lease id the installation got
    lease_id: str  # the id of the lease this check-in will get


@dataclass(frozen=True, slots=True)
class ReleaseRequest:
    key: str
    product: str
    machine: str
    process: str | None = None  # only this instance leaves; the seat stays while others run


@dataclass(frozen=True, slots=True)
class GeoInfo:
    """What GeoIP databases say about an address; every field is optional."""

    country: str | None = None
    city: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    accuracy_km: int | None = None
    asn: int | None = None
    as_org: str | None = None
    anonymizer: str | None = None


NO_GEO = GeoInfo()


@dataclass(frozen=True, slots=True)
class ConnectionRecord:
    """The connection-log entry a check-in writes: personal data, purpose-tagged at write time."""

    day: str
    address: str | None
    precision: IpPrecision
    geo: GeoInfo
    purpose: str
    retain_until: int


@dataclass(frozen=True, slots=True)
class CheckinCommand:
    """One check-in as the store applies it: seat decision and connection log in one step."""

    license: License
    machine: str
    now: int
    lease_expires: int
    connection: ConnectionRecord
    denial: DenyReason | None = None
    client_address: str = ""  # matched against restriction markers only, never stored
    kind: SeatKind = SeatKind.ONLINE
    process: str | None = None
    chain: ChainStep | None = None


@dataclass(frozen=True, slots=True)
class SeatState:
    holds_seat: bool
    in_use: int


@dataclass(frozen=True, slots=True)
class SeatResult:
    outcome: Outcome
    seats_in_use: int
    reason: DenyReason | None = None
    restricted: bool = False  # the subject is restricted: detectors leave this check-in out
    overage: bool = False  # granted beyond the license's seats, within its overage
    forked: bool = False  # the installation's lease chain forked (a copy of the machine)


@dataclass(frozen=True, slots=True)
class CheckinOutcome:
    """What the server answers: a lease, a denial, or the uniform invalid-key refusal."""

    outcome: Outcome
    license: License | None = None
    reason: DenyReason | None = None
    seats_in_use: int = 0
    lease: str | None = None
    expires_at: int | None = None
    grace_until: int | None = None
    flags: tuple[str, ...] = field(default=())
