"""A check-in's cost does not grow with its license: counted in SQLite virtual-machine steps
(deterministic, unlike time) for a renewal on a license before and after thousands of other
seats, online and borrowed, are taken."""

import asyncio
import sqlite3
from pathlib import Path

from licmon.domain.models import IpPrecision, License, LicenseTerms, SeatKind
from licmon.store.sqlite import SqliteStore, seats
from licmon.store.sqlite.store import connect
from tests.store.test_seat_counter_contract import LEASE, command

NOW = 1_800_000_000
OTHERS = 2_000


def renewal_steps(path: Path, lic: License, now: int) -> int:
    """VM steps of one renewal of machine ``renewing``, rolled back afterwards."""
    conn = connect(path, "NORMAL")
    steps = 0

    def step() -> int:
        nonlocal steps
        steps += 1
        return 0

    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.set_progress_handler(step, 1)
        result = seats.apply_checkin(conn, command(lic, "renewing", now))
        conn.set_progress_handler(None, 0)
        assert result.seats_in_use >= 1
        conn.execute("ROLLBACK")
    finally:
        conn.close()
    return steps


async def take(store: SqliteStore, lic: License, prefix: str, kind: SeatKind) -> None:
    for start in range(0, OTHERS, 250):
        machines = (f"{prefix}-{n:05d}" for n in range(start, start + 250))
        await asyncio.gather(*(store.checkin(command(lic, m, NOW, kind)) for m in machines))


async def test_a_renewal_costs_the_same_beside_thousands_of_seats(tmp_path: Path) -> None:
    path = tmp_path / "licmon.db"
    store = SqliteStore(path, synchronous="NORMAL")
    await store.open()
    try:
        await store.add_org("acme", "Acme", IpPrecision.FULL, 30)
        await store.add_product("viewer", "Viewer")
        terms = LicenseTerms(
            seats=10 * OTHERS, max_machines=10 * OTHERS, lease_seconds=LEASE, max_borrow_days=7
        )
        lic = await store.add_license("acme", "viewer", terms, b"k" * 32)
        await store.checkin(command(lic, "renewing", NOW))
        alone = renewal_steps(path, lic, NOW + 60)
        await take(store, lic, "online", SeatKind.ONLINE)
        await take(store, lic, "borrowed", SeatKind.BORROWED)
        beside = renewal_steps(path, lic, NOW + 60)
    finally:
        await store.close()
    with sqlite3.connect(path) as check:
        (live,) = check.execute("SELECT count(*) FROM seats WHERE license_id = ?", (lic.id,))
    assert live[0] == 2 * OTHERS + 1
    assert beside < 1.2 * alone + 50, (alone, beside)  # not linear: 2,000 more seats each
