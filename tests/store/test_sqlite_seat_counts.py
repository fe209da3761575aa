"""SQLite's seat counter on a database that had seats before it (migration m020_seat_counts)."""

import sqlite3
from pathlib import Path

from licmon.domain.models import DenyReason, Outcome
from licmon.store.sqlite import SqliteStore
from tests.conftest import FakeClock
from tests.store import peek
from tests.store.test_seats_contract import a_license, checkin

BEFORE_M020 = (
    "DROP TRIGGER licenses_insert_counts_seats",
    "DROP TRIGGER seats_insert_counts",
    "DROP TRIGGER seats_delete_counts",
    "DROP TRIGGER seats_update_counts",
    "DROP TRIGGER seats_move_counts",
    "DROP TABLE license_seats",
    "DELETE FROM _sqlite_migrations WHERE name = 'm020_seat_counts'",
)


async def test_an_upgraded_database_counts_the_seats_it_already_had(
    tmp_path: Path, clock: FakeClock
) -> None:
    path = tmp_path / "licmon.db"
    store = SqliteStore(path, synchronous="NORMAL", clock=clock)
    await store.open()
    lic = await a_license(store, seats=3)
    now = int(clock())
    for machine in ("m1", "m2", "m3"):
        await store.checkin(checkin(lic, machine, now))
    await store.close()
    conn = sqlite3.connect(path, isolation_level=None)
    for statement in BEFORE_M020:  # the database as it was before the migration
        conn.execute(statement)
    conn.close()

    again = SqliteStore(path, synchronous="NORMAL", clock=clock)
    await again.open()
    try:
        assert peek.counters(again) == [(lic.id, 3, 3)]
        refused = await again.checkin(checkin(lic, "m4", now + 1))
        assert (refused.outcome, refused.reason) == (Outcome.DENIED, DenyReason.SEATS_EXHAUSTED)
        later = await again.checkin(checkin(lic, "m4", now + 3601))  # theirs have expired
        assert (later.outcome, later.seats_in_use) == (Outcome.GRANTED, 1)
    finally:
        await again.close()
