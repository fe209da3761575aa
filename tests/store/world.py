"""What the store contract tests share: a license, check-ins from chosen addresses, and the
contexts the purpose gateway asks for. Interface only: these run on every backend."""

import ipaddress

from licmon.domain.access import ReadContext, Role
from licmon.domain.checkin import connection_record
from licmon.domain.detectors import FlagDraft, FlagKind, Severity
from licmon.domain.flags import FlagRaise
from licmon.domain.models import CheckinCommand, GeoInfo, IpPrecision, License, LicenseTerms
from licmon.domain.purposes import ABUSE, DSR
from licmon.store.base import Store

LEASE = 3600


async def licensed(store: Store, seats: int = 5, retention_days: int = 30) -> License:
    await store.add_org("acme", "Acme Ltd", IpPrecision.FULL, retention_days)
    await store.add_product("viewer", "Viewer")
    return await store.add_license(
        "acme", "viewer", LicenseTerms(seats=seats, max_machines=100), b"k" * 32
    )


async def check_in(store: Store, lic: License, machine: str, address: str, now: int) -> None:
    ip = ipaddress.ip_address(address)
    await store.checkin(
        CheckinCommand(
            license=lic,
            machine=machine,
            now=now,
            lease_expires=now + LEASE,
            connection=connection_record(lic, ip, GeoInfo(country="DE"), now),
            client_address=address,
        )
    )


def ctx(role: Role = Role.ADMIN, purpose: str = ABUSE, org_id: int | None = None) -> ReadContext:
    return ReadContext("user:1", role, purpose, "investigating flag #12 for overuse", org_id)


DSR_CTX = ReadContext("user:2", Role.DPO, DSR, "data-subject request DSR-2026-001")


async def actions(store: Store, target: str | None = None) -> list[str]:
    """The audit log's actions, oldest first."""
    return [s.entry.action for s in reversed(await store.audit_recent(1000, target))]


def raised(license_id: int | None, at: int, severity: Severity = Severity.MEDIUM) -> FlagRaise:
    """A machine-sharing flag whose evidence names an address."""
    draft = FlagDraft(
        FlagKind.MACHINE_SHARING, severity, license_id, at, {"networks": ["198.51.100.7"]}, ""
    )
    return FlagRaise(draft, at + 86400)
