"""The check-in rules: request shape, license validity, seat decision, lease claims."""

import functools
import time
from typing import Any

from licmon.domain import chain
from licmon.domain import validation as v
from licmon.domain.models import (
    CheckinCommand,
    CheckinRequest,
    ConnectionRecord,
    DenyReason,
    GeoInfo,
    License,
    LicenseStatus,
    LicenseTerms,
    Outcome,
    ReleaseRequest,
    SeatKind,
    SeatResult,
    SeatState,
)
from licmon.domain.network import IPAddress, address_text, apply_precision
from licmon.domain.offline import borrow_allowed, held_until
from licmon.domain.precision import reduce_geo
from licmon.domain.purposes import CHECKIN, DAY, retention_deadline

CHECKIN_FIELDS = {"key", "product", "machine", "nonce"}
CHECKIN_OPTIONAL = {"client_time", "app_version", *v.INSTANCE_FIELDS}
RELEASE_FIELDS = {"key", "product", "machine"}
RELEASE_OPTIONAL = {"process"}

DENIAL_MESSAGES = {
    "invalid_key": "The license key is not valid.",
    DenyReason.EXPIRED: "This license has expired.",
    DenyReason.REVOKED: "This license has been revoked.",
    DenyReason.SUSPENDED: "This license is suspended; contact your vendor.",
    DenyReason.SEATS_EXHAUSTED: "Every seat of this license is in use.",
    DenyReason.PRODUCT_MISMATCH: "This license is for another product.",
    DenyReason.TERRITORY: "This license may not be used in this country.",
    DenyReason.NOT_YET_VALID: "This license is not valid yet.",
    DenyReason.MACHINE_NOT_ALLOWED: "This license is locked to other machines.",
    DenyReason.BORROW_NOT_ALLOWED: "This license does not allow borrowing a seat for so long.",
    DenyReason.PROCESSES_EXHAUSTED: "This license allows no more instances on this machine.",
    DenyReason.CLONED_MACHINE: "This installation was copied: its lease chain continued "
    "elsewhere; contact your vendor.",
}


def parse_checkin(body: object) -> CheckinRequest:
    fields = v.require_object(body, CHECKIN_FIELDS, CHECKIN_OPTIONAL)
    return CheckinRequest(
        key=v.key_field(fields),
        product=v.product_field(fields),
        machine=v.machine_field(fields),
        nonce=v.nonce_field(fields),
        client_time=v.time_field(fields, "client_time"),
        app_version=v.version_field(fields),
        **v.instance_fields(fields),
    )


def parse_release(body: object) -> ReleaseRequest:
    fields = v.require_object(body, RELEASE_FIELDS, RELEASE_OPTIONAL)
    return ReleaseRequest(
        key=v.key_field(fields),
        product=v.product_field(fields),
        machine=v.machine_field(fields),
        process=v.process_field(fields),
    )


def license_denial(lic: License, product: str, now: int, country: str | None) -> DenyReason | None:
    """Why this license may not be used right now, before any seat is counted."""
    terms = lic.terms
    checks = (
        (lic.status is LicenseStatus.REVOKED, DenyReason.REVOKED),
        (lic.status is LicenseStatus.SUSPENDED, DenyReason.SUSPENDED),
        (terms.valid_from is not None and now < terms.valid_from, DenyReason.NOT_YET_VALID),
        (terms.valid_until is not None and now >= terms.valid_until, DenyReason.EXPIRED),
        (product != lic.product, DenyReason.PRODUCT_MISMATCH),
        (
            bool(country and terms.allowed_countries and country not in terms.allowed_countries),
            DenyReason.TERRITORY,
        ),
    )
    return next((reason for failed, reason in checks if failed), None)


def decide_seat(lic: License, state: SeatState) -> SeatResult:
    """The same machine renews its seat; a new one takes a free seat (or one of the
    overage's, marked) or is refused."""
    seats = lic.terms.seats
    if state.holds_seat:
        return SeatResult(Outcome.RENEWED, state.in_use, overage=state.in_use > seats)
    if state.in_use < seat_limit(lic.terms):
        return SeatResult(Outcome.GRANTED, state.in_use + 1, overage=state.in_use >= seats)
    return SeatResult(Outcome.DENIED, state.in_use, DenyReason.SEATS_EXHAUSTED)


def seat_limit(terms: LicenseTerms) -> int:
    """The seats that may be granted: ``seats`` and floor(seats x overage_percent / 100)."""
    return terms.seats + terms.seats * terms.overage_percent // 100


def lease_end(lic: License, now: int) -> int:
    end = now + lic.terms.lease_seconds
    return min(end, lic.terms.valid_until) if lic.terms.valid_until else end


def grace_end(lic: License, now: int) -> int:
    end = now + lic.terms.grace_seconds
    return min(end, lic.terms.valid_until) if lic.terms.valid_until else end


def utc_day(now: int) -> str:
    return _day_name(now // DAY)


@functools.lru_cache(maxsize=8)
def _day_name(day_number: int) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(day_number * DAY))


def connection_record(lic: License, address: IPAddress, geo: GeoInfo, now: int) -> ConnectionRecord:
    """The connection-log entry, reduced to the organization's precision and tagged at write."""
    day_start = now - now % DAY
    return ConnectionRecord(
        day=utc_day(now),
        address=apply_precision(address, lic.org.ip_precision),
        precision=lic.org.ip_precision,
        geo=reduce_geo(geo, lic.org.ip_precision),
        purpose=CHECKIN,
        retain_until=retention_deadline(day_start, lic.org.retention_days, CHECKIN),
    )


def checkin_command(
    lic: License,
    req: CheckinRequest,
    address: IPAddress,
    geo: GeoInfo,
    now: int,
    lease_id: str = "",
) -> CheckinCommand:
    """``lease_id``: the ``jti`` the lease will carry (the next link of a lease chain)."""
    borrowing = req.borrow_days is not None
    return CheckinCommand(
        license=lic,
        machine=req.machine,
        now=now,
        lease_expires=seat_end(lic, req, now),
        connection=connection_record(lic, address, geo, now),
        denial=license_denial(lic, req.product, now, geo.country)
        or machine_denial(lic, req.machine)
        or borrow_denial(lic, req),
        client_address=address_text(address),
        kind=SeatKind.BORROWED if borrowing else SeatKind.ONLINE,
        process=req.process if lic.terms.max_processes else None,
        chain=chain.step(req.installation, req.previous, lease_id)
        if req.installation is not None and lease_id
        else None,
    )


def machine_denial(lic: License, machine: str) -> DenyReason | None:
    """A node-locked license serves only its machines (a set lookup, whatever its size)."""
    locked = lic.terms.locked_machines
    return DenyReason.MACHINE_NOT_ALLOWED if locked and machine not in locked else None


def borrow_denial(lic: License, req: CheckinRequest) -> DenyReason | None:
    days = req.borrow_days
    return None if days is None or borrow_allowed(lic, days) else DenyReason.BORROW_NOT_ALLOWED


def seat_end(lic: License, req: CheckinRequest, now: int) -> int:
    """A heartbeat's lease, or a borrowed seat's ``days`` ahead."""
    if req.borrow_days is None:
        return lease_end(lic, now)
    return held_until(lic, now, req.borrow_days)


def lease_claims(
    issuer: str,
    lic: License,
    req: CheckinRequest,
    now: int,
    seats_in_use: int,
    lease_id: str = "",
    *,
    overage: bool = False,
) -> dict[str, Any]:
    end = seat_end(lic, req, now)
    return {
        **({"jti": lease_id} if lease_id else {}),
        "iss": issuer,
        "sub": str(lic.id),
        "aud": lic.product,
        "machine": req.machine,
        "nonce": req.nonce,
        "iat": now,
        "exp": end,
        "grace_until": max(grace_end(lic, now), end),
        "seats": lic.terms.seats,
        "seats_in_use": seats_in_use,
        "entitlements": list(lic.terms.entitlements),
        **({"borrowed": True} if req.borrow_days is not None else {}),
        **({"prev": req.previous} if req.previous is not None else {}),
        **({"overage": True} if overage else {}),
    }
