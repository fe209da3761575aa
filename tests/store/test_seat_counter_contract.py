"""The seat counter behind O(1) seat decisions always agrees with the seat rows, whatever
writes them, and decisions on a license with thousands of seats in use stay exact."""

import asyncio
import contextlib
import dataclasses
import ipaddress
import random

import pytest

from licmon.domain.checkin import connection_record
from licmon.domain.models import (
    CheckinCommand,
    DenyReason,
    GeoInfo,
    IpPrecision,
    License,
    LicenseTerms,
    Outcome,
    SeatKind,
)
from licmon.domain.offline import ActivationGrant, ActivationRequest
from licmon.domain.purposes import DAY
from licmon.domain.subjects import Subject
from licmon.errors import Conflict
from licmon.store.base import Store
from tests.conftest import FakeClock
from tests.store import peek
from tests.store.world import DSR_CTX

LEASE = 3600
SEED = 1313
STEPS = 160
ADDRESS = ipaddress.ip_address("192.0.2.10")
KEYS = (b"a" * 32, b"g" * 32)


def command(
    lic: License, machine: str, now: int, kind: SeatKind = SeatKind.ONLINE
) -> CheckinCommand:
    until = now + (3 * DAY if kind is SeatKind.BORROWED else LEASE)
    return CheckinCommand(
        license=lic,
        machine=machine,
        now=now,
        lease_expires=until,
        connection=connection_record(lic, ADDRESS, GeoInfo(), now),
        client_address=str(ADDRESS),
        kind=kind,
    )


async def two_licenses(store: Store, seats: int) -> tuple[License, License]:
    terms = LicenseTerms(
        seats=seats, max_machines=100, lease_seconds=LEASE, max_borrow_days=7, max_offline_days=30
    )
    await store.add_product("viewer", "Viewer")
    licenses = []
    for (slug, name), key in zip((("acme", "Acme"), ("globex", "Globex")), KEYS, strict=True):
        await store.add_org(slug, name, IpPrecision.FULL, 30)
        licenses.append(await store.add_license(slug, "viewer", terms, key))
    return licenses[0], licenses[1]


def token(lic: License, grant: ActivationGrant) -> str:
    return f"file-{lic.id}-{grant.activation_id}"


class Mix:
    """A seeded random mix of everything that writes seats, checked after every step."""

    def __init__(self, store: Store, clock: FakeClock, licenses: tuple[License, License]) -> None:
        self.store = store
        self.clock = clock
        self.licenses = licenses
        self.rng = random.Random(SEED)
        self.nonces = 0

    @property
    def now(self) -> int:
        return int(self.clock())

    def machine(self) -> str:
        return f"m{self.rng.randrange(24)}"

    def license(self) -> License:
        return self.rng.choice(self.licenses)

    async def step(self) -> None:
        roll = self.rng.random()
        if roll < 0.45:
            await self.check_in(SeatKind.ONLINE)
        elif roll < 0.52:
            await self.check_in(SeatKind.BORROWED)
        elif roll < 0.60:
            await self.store.release(self.license().id, self.machine())
        elif roll < 0.78:  # forwards and backwards, past leases, past a day
            self.clock.advance(self.rng.choice((30, 900, LEASE + 1, -700, -2 * LEASE, 2 * DAY)))
        elif roll < 0.83:
            await self.activate()
        elif roll < 0.88:
            await self.deactivate()
        elif roll < 0.93:
            await self.store.dsr_erase(DSR_CTX, Subject.parse("machine", self.machine()))
        else:
            await self.store.run_retention()

    async def check_in(self, kind: SeatKind) -> None:
        lic = self.license()
        result = await self.store.checkin(command(lic, self.machine(), self.now, kind))
        if result.reason in (None, DenyReason.SEATS_EXHAUSTED):  # the count it decided on
            assert result.seats_in_use == peek.live_seats(self.store, lic.id, self.now)

    async def activate(self) -> None:
        lic = self.license()
        self.nonces += 1
        req = ActivationRequest("key", "viewer", self.machine(), f"n{self.nonces}", self.now)
        key = KEYS[lic.id != self.licenses[0].id]
        with contextlib.suppress(Conflict):  # every seat in use: refused, nothing held
            await self.store.issue_activation(key, req, 2, token)

    async def deactivate(self) -> None:
        lic = self.license()
        machines = await self.store.license_machines(lic.id, None, 100)
        if machines:
            chosen = self.rng.choice(machines)
            await self.store.deactivate_machine(lic.id, chosen.id, actor="user:1", reason="test")

    def check(self) -> None:
        found = peek.counters(self.store)
        assert [(lic, counted) for lic, counted, _ in found] == [
            (lic, rows) for lic, _, rows in found
        ]


async def run_mix(store: Store, clock: FakeClock) -> Mix:
    mix = Mix(store, clock, await two_licenses(store, seats=6))
    for _ in range(STEPS):
        await mix.step()
        mix.check()
    return mix


async def test_the_counter_equals_the_seat_rows_after_a_random_mix_of_writes(
    store: Store, clock: FakeClock
) -> None:
    mix = await run_mix(store, clock)
    acme, _ = mix.licenses
    await store.org_erase(DSR_CTX, "globex")  # the license goes, and its counter with it
    assert [lic for lic, _, _ in peek.counters(store)] == [acme.id]
    mix.check()
    fresh = await store.checkin(command(acme, "newcomer", mix.now))
    assert fresh.seats_in_use == peek.live_seats(store, acme.id, mix.now)


async def test_the_mix_catches_a_counter_that_misses_deletions(
    store: Store, clock: FakeClock
) -> None:
    peek.drop_delete_trigger(store)  # the counter no longer hears of deleted seats
    with pytest.raises(AssertionError):
        await run_mix(store, clock)


async def test_a_license_with_thousands_of_seats_in_use_decides_exactly_at_its_limit(
    store: Store, clock: FakeClock
) -> None:
    seats = 3000
    await store.add_org("uni", "University", IpPrecision.FULL, 30)
    await store.add_product("viewer", "Viewer")
    terms = LicenseTerms(seats=seats, max_machines=seats + 10, lease_seconds=LEASE)
    lic = await store.add_license("uni", "viewer", terms, b"u" * 32)
    now = int(clock())
    for start in range(0, seats, 500):
        chunk = [store.checkin(command(lic, f"m{i}", now)) for i in range(start, start + 500)]
        assert {r.outcome for r in await asyncio.gather(*chunk)} == {Outcome.GRANTED}
    refused = await store.checkin(command(lic, "one-too-many", now + 1))
    assert (refused.outcome, refused.reason) == (Outcome.DENIED, DenyReason.SEATS_EXHAUSTED)
    assert refused.seats_in_use == seats
    renewed = await store.checkin(command(lic, "m7", now + 2))
    assert (renewed.outcome, renewed.seats_in_use) == (Outcome.RENEWED, seats)
    assert await store.release(lic.id, "m8")
    granted = await store.checkin(command(lic, "one-too-many", now + 3))
    assert (granted.outcome, granted.seats_in_use) == (Outcome.GRANTED, seats)
    again = await store.checkin(command(lic, "m8", now + 4))
    assert again.reason is DenyReason.SEATS_EXHAUSTED
    later = now + LEASE + 1  # all but the two taken or renewed since have expired
    assert (await store.checkin(command(lic, "m8", later))).seats_in_use == 3
    back = await store.checkin(command(lic, "newcomer", now + 5))  # the clock went back:
    assert back.reason is DenyReason.SEATS_EXHAUSTED  # the expired seats are live again
    assert back.seats_in_use == seats + 1 == peek.live_seats(store, lic.id, now + 5)


async def test_a_batch_counts_its_check_ins_once_each_and_a_failed_one_not_at_all(
    store: Store, clock: FakeClock
) -> None:
    acme, _ = await two_licenses(store, seats=5)
    now = int(clock())
    ghost = dataclasses.replace(acme, id=999)  # no such row: its machine upsert fails
    commands = [store.checkin(command(acme, f"m{i}", now)) for i in range(40)]
    commands.insert(20, store.checkin(command(ghost, "m0", now)))
    results = await asyncio.gather(*commands, return_exceptions=True)
    assert sum(not isinstance(r, BaseException) for r in results) == 40
    hour = now - now % 3600
    usage = peek.rows(
        store,
        "SELECT license_id, checkins, peak_seats, refusals FROM usage_hourly WHERE hour = ?",
        hour,
    )
    assert usage == [(acme.id, 40, 5, 35)]
    assert await store.checkins_per_hour(None, hour) == {hour: 40}


async def test_a_license_whose_counter_row_is_gone_still_refuses_at_its_limit(
    store: Store, clock: FakeClock
) -> None:
    """A counter row lost behind the store's back (an id renumbered by hand, a partial
    restore) is rebuilt from the rows: the decision never fails open."""
    acme, _ = await two_licenses(store, seats=2)
    now = int(clock())
    for machine in ("m1", "m2"):
        assert (await store.checkin(command(acme, machine, now))).outcome is Outcome.GRANTED
    peek.execute(store, f"DELETE FROM license_seats WHERE license_id = {acme.id}")
    refused = await store.checkin(command(acme, "m3", now + 1))
    assert refused.outcome is Outcome.DENIED and refused.reason is DenyReason.SEATS_EXHAUSTED
    renewed = await store.checkin(command(acme, "m1", now + 2))
    assert renewed.outcome is not Outcome.DENIED and renewed.seats_in_use == 2
    assert [c for c in peek.counters(store) if c[0] == acme.id] == [(acme.id, 2, 2)]
