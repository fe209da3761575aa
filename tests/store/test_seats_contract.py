"""Seats: a license never grants more seats than it has, whatever the backend."""

import asyncio
import ipaddress
from dataclasses import replace

from licmon.domain.checkin import connection_record, utc_day
from licmon.domain.models import (
    CheckinCommand,
    DenyReason,
    GeoInfo,
    IpPrecision,
    License,
    LicenseTerms,
    Outcome,
)
from licmon.domain.purposes import DAY
from licmon.store.base import Store
from tests.conftest import FakeClock
from tests.store import peek
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


async def test_a_machine_keeps_its_first_sighting_and_its_latest_deadline(
    store: Store, clock: FakeClock
) -> None:
    """A renewal moves last_seen, never first_seen, and never shortens the retention deadline
    (a long lease then a short one); a new machine gets a row of its own."""
    lic = await a_license(store, seats=5)
    now = int(clock())
    await store.checkin(replace(checkin(lic, "renewing", now), lease_expires=now + 10 * LEASE))
    await store.checkin(checkin(lic, "renewing", now + 120))
    await store.checkin(checkin(lic, "new-machine", now + 120))
    rows = peek.rows(
        store,
        "SELECT fingerprint, first_seen, last_seen, retain_until - last_seen FROM machines "
        "WHERE license_id = ? ORDER BY id",
        lic.id,
    )
    retention = 30 * 86400
    assert rows == [
        ("renewing", now, now + 120, 10 * LEASE - 120 + retention),
        ("new-machine", now + 120, now + 120, LEASE + retention),
    ]


async def test_a_days_connection_row_counts_every_renewal_from_its_address(
    store: Store, clock: FakeClock
) -> None:
    """One row per machine, address and day: renewals and refusals from the same address on
    the same day add to it (first_seen kept, last_seen moved); another address or the next
    day starts a row of its own."""
    lic = await a_license(store, seats=5)
    now = int(clock()) // DAY * DAY + 3600
    elsewhere = ipaddress.ip_address("198.51.100.7")
    moved = connection_record(lic, elsewhere, GeoInfo(), now + 60)
    await store.checkin(checkin(lic, "renewing", now))
    await store.checkin(checkin(lic, "renewing", now + 60))
    await store.checkin(replace(checkin(lic, "renewing", now + 90), denial=DenyReason.SUSPENDED))
    await store.checkin(checkin(lic, "renewing", now + 120))
    await store.checkin(replace(checkin(lic, "renewing", now + 60), connection=moved))
    await store.checkin(checkin(lic, "renewing", now + DAY))
    rows = peek.rows(
        store,
        "SELECT day, first_seen, last_seen, checkins, denials FROM connections "
        "WHERE license_id = ? ORDER BY day, first_seen, id",
        lic.id,
    )
    first, second = utc_day(now), utc_day(now + DAY)
    assert first != second
    assert rows == [
        (first, now, now + 120, 3, 1),
        (first, now + 60, now + 60, 1, 0),
        (second, now + DAY, now + DAY, 1, 0),
    ]


async def test_a_renewal_keeps_its_connection_row_restricted(
    store: Store, clock: FakeClock
) -> None:
    """A row restricted by a data subject's request (Art. 18) stays restricted when the same
    machine renews from the same address that day."""
    lic = await a_license(store, seats=5)
    now = int(clock())
    await store.checkin(checkin(lic, "renewing", now))
    peek.execute(store, "UPDATE connections SET restricted = 1")  # as the request marks it
    await store.checkin(checkin(lic, "renewing", now + 1))
    rows = peek.rows(
        store, "SELECT checkins, restricted FROM connections WHERE license_id = ?", lic.id
    )
    assert rows == [(2, 1)]


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


async def test_two_nodes_checking_in_at_once_never_exceed_the_seats(
    store: Store, reopen: Reopen, clock: FakeClock
) -> None:
    lic = await a_license(store, seats=5)
    other = await reopen()
    now = int(clock())
    commands = [(store if i % 2 else other).checkin(checkin(lic, f"m{i}", now)) for i in range(60)]
    results = await asyncio.gather(*commands)
    granted = [r for r in results if r.outcome is Outcome.GRANTED]
    assert len(granted) == 5
    assert sorted(r.seats_in_use for r in granted) == [1, 2, 3, 4, 5]
    assert all(r.reason is DenyReason.SEATS_EXHAUSTED for r in results if r not in granted)
    assert (await other.license_usage(lic.id)).seats_in_use == 5


async def test_expired_seats_are_free_and_counted_again_when_the_clock_goes_back(
    store: Store, clock: FakeClock
) -> None:
    lic = await a_license(store, seats=1)
    start = int(clock())
    assert (await store.checkin(checkin(lic, "m1", start))).outcome is Outcome.GRANTED
    assert (await store.checkin(checkin(lic, "m2", start + 10))).outcome is Outcome.DENIED
    later = start + LEASE + 1  # m1's seat has expired
    assert (await store.checkin(checkin(lic, "m2", later))).outcome is Outcome.GRANTED
    assert (await store.checkin(checkin(lic, "m3", later))).outcome is Outcome.DENIED
    back = start + 20  # both seats are live again as seen from here
    result = await store.checkin(checkin(lic, "m3", back))
    assert result.outcome is Outcome.DENIED
    assert result.seats_in_use == 2


async def test_seats_freed_by_release_and_expiry_are_counted_after_a_restart(
    store: Store, reopen: Reopen, clock: FakeClock
) -> None:
    lic = await a_license(store, seats=3)
    now = int(clock())
    for machine in ("m1", "m2", "m3"):
        assert (await store.checkin(checkin(lic, machine, now))).outcome is Outcome.GRANTED
    assert await store.release(lic.id, "m2")
    await store.close()
    again = await reopen()
    assert (await again.checkin(checkin(lic, "m4", now + 5))).outcome is Outcome.GRANTED
    assert (await again.checkin(checkin(lic, "m5", now + 6))).outcome is Outcome.DENIED
    later = now + LEASE + 10  # m1, m3 and m4 have expired
    clock.now = later
    results = [await again.checkin(checkin(lic, f"n{i}", later)) for i in range(4)]
    assert [r.outcome for r in results] == [Outcome.GRANTED] * 3 + [Outcome.DENIED]
    assert (await again.license_usage(lic.id)).seats_in_use == 3


async def test_a_failing_checkin_is_rolled_back_alone_and_the_others_counted_once(
    store: Store, clock: FakeClock
) -> None:
    lic = await a_license(store, seats=10)
    now = int(clock())
    unknown = replace(lic, id=lic.id + 1000)  # its machine row breaks a foreign key
    machines = [f"m{i}" for i in range(8)]
    before = store.writer.stats.batches
    results = await asyncio.gather(
        *(store.checkin(checkin(lic, m, now)) for m in machines[:4]),
        store.checkin(checkin(unknown, "stray", now)),
        *(store.checkin(checkin(lic, m, now)) for m in machines[4:]),
        return_exceptions=True,
    )
    assert store.writer.stats.batches == before + 1  # one batch: the run shares its fate
    failed = results.pop(4)
    assert isinstance(failed, Exception) and not isinstance(failed, AssertionError)
    assert [getattr(r, "outcome", r) for r in results] == [Outcome.GRANTED] * len(machines)
    assert (await store.license_usage(lic.id)).seats_in_use == len(machines)
    assert peek.rows(store, "SELECT sum(checkins) FROM usage_hourly") == [(len(machines),)]
    assert peek.rows(store, "SELECT count(*) FROM machines WHERE fingerprint = 'stray'") == [(0,)]
