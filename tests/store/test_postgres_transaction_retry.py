"""PostgreSQL: a gateway transaction that PostgreSQL aborts for a deadlock runs again, as
the writer's batches do; it is neither lost nor reported as the database being away."""

import asyncio
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
import pytest

from licmon.datadir import DataDir
from licmon.domain.subjects import Subject
from licmon.store.postgres.store import DatabaseBusy, PostgresStore
from tests.conftest import FakeClock
from tests.pg import PgCluster
from tests.store.world import DSR_CTX, check_in, licensed


def waiting_on_a_lock(cluster: PgCluster, database: str) -> bool:
    with psycopg.connect(cluster.url(database, "postgres"), autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock'",
            (database,),
        ).fetchone()
    return row is not None and row[0] > 0


async def blocked(cluster: PgCluster, database: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not await asyncio.to_thread(waiting_on_a_lock, cluster, database):
        assert time.monotonic() < deadline, "the erasure never waited for the lock"
        await asyncio.sleep(0.01)


def one(conn: psycopg.Connection[Any], sql: str, *params: object) -> int:
    row = conn.execute(sql, params).fetchone()
    assert row is not None
    return int(row[0])


async def test_an_erasure_caught_in_a_deadlock_runs_again_and_erases(
    pg_cluster: PgCluster, tmp_path: Path, clock: FakeClock
) -> None:
    url = pg_cluster.fresh_database()
    database = urlsplit(url).path.lstrip("/")
    DataDir(tmp_path).ensure().pepper()
    node = PostgresStore(url, clock=clock, pool_size=2, data_dir=tmp_path)
    await node.open()
    other = psycopg.connect(pg_cluster.url(database, "postgres"))
    try:
        lic = await licensed(node)
        await check_in(node, lic, "machine-0001", "203.0.113.77", int(clock()))
        # The other session detects deadlocks late: PostgreSQL aborts the erasure's side.
        other.execute("SET deadlock_timeout = '60s'")
        machine = one(other, "SELECT id FROM machines WHERE fingerprint = 'machine-0001'")
        row = one(other, "SELECT id FROM connections WHERE machine_id = %s", machine)
        other.execute("UPDATE machines SET fingerprint = fingerprint WHERE id = %s", (machine,))
        erasure = asyncio.create_task(
            node.dsr_erase(DSR_CTX, Subject.parse("machine", "machine-0001"))
        )
        await blocked(pg_cluster, database)  # it deleted the connection row, waits for the machine
        await asyncio.to_thread(
            other.execute, "UPDATE connections SET restricted = restricted WHERE id = %s", (row,)
        )  # the cycle: PostgreSQL aborts the erasure, this update goes through
        other.commit()
        receipt = await asyncio.wait_for(erasure, 30)
    finally:
        other.close()
        await node.close()
    assert receipt["tables"]["machines"]["erased"] == [machine]
    assert receipt["tables"]["connections"]["erased"] == [row]
    assert node.transaction_retries >= 1
    assert node.faults.refused == 0  # not told as the database being away


def failing_with(code: str) -> Any:
    def op(conn: psycopg.Connection[Any]) -> None:
        conn.execute(f"DO $$ BEGIN RAISE EXCEPTION 'raised' USING ERRCODE = '{code}'; END $$")

    return op


async def test_a_transaction_rolled_back_at_every_attempt_is_a_busy_503(
    pg_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    """A serialization failure every time: tried 5 times on the writer and on the gateway,
    then 503 with Retry-After 1, not told as the database being away; a deferred
    constraint's 40002 is no contention and is not tried again."""
    node = PostgresStore(pg_url, clock=clock, pool_size=2, data_dir=tmp_path)
    await node.open()
    try:
        for run in (node._write, node._gateway):
            with pytest.raises(DatabaseBusy) as busy:
                await run(failing_with("40001"))
            assert busy.value.status == 503 and busy.value.retry_after == 1
        assert node._writer.retries == 4 and node.transaction_retries == 4
        with pytest.raises(psycopg.errors.TransactionIntegrityConstraintViolation):
            await node._gateway(failing_with("40002"))
        assert node.transaction_retries == 4
        assert node.faults.refused == 0
    finally:
        await node.close()
