"""Seats: a license never grants more seats than it has, whatever the backend."""

import ipaddress

from licmon.domain.checkin import connection_record
from licmon.domain.models import (
    CheckinCommand,
    GeoInfo,
    IpPrecision,
    License,
    LicenseTerms,
    Outcome,
)
from licmon.store.base import Store
from tests.conftest import FakeClock
from tests.store.conftest import Reopen

LEASE = 3600


async def a_license(store: Store, seats: int) -> License:
    await store.add_org("acme", "Acme", IpPrecision.FULL, 30)
    await store.add_product("viewer", "Viewer")
    return await store.add_license(
        "acme", "viewer", LicenseTerms(seats=seats, max_machines=100), b"k" * 32
    )


def checkin(lic: License, machine: str, now: int) -> CheckinCommand:
    address = ipaddress.ip_address("192.0.2.10")
    return CheckinCommand(
        license=lic,
        machine=machine,
        now=now,
        lease_expires=now + LEASE,
        connection=connection_record(lic, address, GeoInfo(), now),
        client_address=str(address),
    )


async def test_seats_are_granted_up_to_the_limit_then_refused(
    store: Store, clock: FakeClock
) -> None:
    lic = await a_license(store, seats=2)
    now = int(clock())
    outcomes = [(await store.checkin(checkin(lic, f"m{i}", now))).outcome for i in range(3)]
    assert outcomes[:2] == [Outcome.GRANTED, Outcome.GRANTED]
    assert outcomes[2] != Outcome.GRANTED
    assert (await store.license_usage(lic.id)).seats_in_use == 2


async def test_a_released_seat_is_free_again_after_a_restart(
    store: Store, reopen: Reopen, clock: FakeClock
) -> None:
    lic = await a_license(store, seats=1)
    now = int(clock())
    assert (await store.checkin(checkin(lic, "m1", now))).outcome == Outcome.GRANTED
    assert await store.release(lic.id, "m1")
    await store.close()
    again = await reopen()
    assert (await again.checkin(checkin(lic, "m2", now))).outcome == Outcome.GRANTED
    assert (await again.license_usage(lic.id)).seats_in_use == 1
