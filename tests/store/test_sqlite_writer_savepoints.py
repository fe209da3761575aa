"""The SQLite writer runs a batch's check-ins under one savepoint, and a check-in that fails
is still rolled back alone: the others commit, counted once each."""

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from licmon.domain.models import License, Outcome, SeatResult
from licmon.store.sqlite import SqliteStore
from licmon.store.sqlite.faults import StorageFull
from licmon.store.usage_tally import Counted
from tests.conftest import FakeClock
from tests.store import peek
from tests.store.test_seats_contract import a_license, checkin

MACHINES = [f"machine-{n:02d}" for n in range(10)]


@pytest.fixture
async def store(tmp_path: Path, clock: FakeClock) -> AsyncIterator[SqliteStore]:
    opened = SqliteStore(tmp_path / "licmon.db", synchronous="NORMAL", clock=clock)
    await opened.open()
    yield opened
    await opened.close()


def traced(store: SqliteStore) -> list[str]:
    statements: list[str] = []
    conn = store.writer._conn
    assert conn is not None
    conn.set_trace_callback(statements.append)
    return statements


async def one_batch(store: SqliteStore, *writes: "asyncio.Future[object]") -> list[object]:
    before = store.writer.stats.batches
    results = await asyncio.gather(*writes, return_exceptions=True)
    assert store.writer.stats.batches == before + 1  # submitted together, committed together
    return results


async def test_a_batch_of_checkins_opens_one_savepoint(store: SqliteStore) -> None:
    lic = await a_license(store, seats=len(MACHINES))
    now = int(store._clock())
    statements = traced(store)
    results = await one_batch(store, *(store.checkin(checkin(lic, m, now)) for m in MACHINES))
    assert all(isinstance(r, SeatResult) and r.outcome is Outcome.GRANTED for r in results)
    savepoints = [s for s in statements if s.startswith("SAVEPOINT")]
    assert len(savepoints) == 1, savepoints
    assert peek.counters(store) == [(lic.id, len(MACHINES), len(MACHINES))]


def writes_then_fails(lic: License, now: int) -> Counted[None]:
    def operation(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO products (code, name, created_at) VALUES ('half', 'Half', 0)")
        raise RuntimeError("failed after a write")

    return Counted(operation, lic.id, now, replayable=True)


async def test_a_failing_checkin_among_others_is_rolled_back_alone(store: SqliteStore) -> None:
    lic = await a_license(store, seats=len(MACHINES))
    now = int(store._clock())
    first, rest = MACHINES[:5], MACHINES[5:]
    results = await one_batch(
        store,
        *(store.checkin(checkin(lic, m, now)) for m in first),
        store._write(writes_then_fails(lic, now)),
        *(store.checkin(checkin(lic, m, now)) for m in rest),
    )
    failed = results.pop(len(first))
    assert isinstance(failed, RuntimeError)
    assert all(isinstance(r, SeatResult) and r.outcome is Outcome.GRANTED for r in results)
    assert peek.rows(store, "SELECT code FROM products WHERE code = 'half'") == []
    assert peek.counters(store) == [(lic.id, len(MACHINES), len(MACHINES))]
    (checkins,) = peek.rows(store, "SELECT sum(checkins) FROM usage_hourly")
    assert checkins == (len(MACHINES),)  # neither the failed one nor a replay counted twice


def ends_the_transaction(lic: License, now: int) -> Counted[None]:
    """As SQLite does itself after a disk-full or I/O error: the whole transaction is gone."""

    def operation(conn: sqlite3.Connection) -> None:
        conn.execute("ROLLBACK")
        raise sqlite3.OperationalError("database or disk is full")

    return Counted(operation, lic.id, now, replayable=True)


@pytest.mark.parametrize("alone", [True, False], ids=["alone", "among check-ins"])
async def test_callers_hear_the_error_that_ended_the_transaction(
    store: SqliteStore, alone: bool
) -> None:
    lic = await a_license(store, seats=len(MACHINES))
    now = int(store._clock())
    others = [] if alone else [store.checkin(checkin(lic, m, now)) for m in MACHINES]
    results = await one_batch(store, store._write(ends_the_transaction(lic, now)), *others)
    assert results, results
    for result in results:  # the batch is lost as a whole: not "no such savepoint"
        assert isinstance(result, sqlite3.OperationalError | StorageFull), result
        assert "savepoint" not in str(result)
    again = await store.checkin(checkin(lic, MACHINES[0], now))  # the writer goes on
    assert again.outcome is Outcome.GRANTED
