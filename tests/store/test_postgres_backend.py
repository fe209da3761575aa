"""What only the PostgreSQL backend has: roles and column privileges, migrations recorded
with SQLite's ids, the seat counter kept equal to the seat rows, the pepper check."""

import asyncio
import ipaddress
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlite_utils import Database

from licmon.app import POSTGRES_MISSING, open_store, prepare_store
from licmon.config import Settings
from licmon.domain.checkin import connection_record
from licmon.domain.models import CheckinCommand, GeoInfo, IpPrecision, License
from licmon.errors import ConfigError
from licmon.store.personal_columns import PERSONAL_COLUMNS
from licmon.store.postgres.connect import prepare_database
from licmon.store.postgres.migrations import POSTGRES_ONLY
from licmon.store.postgres.store import PostgresStore
from licmon.store.postgres.writer import SeatCommand
from licmon.store.sqlite import migrations as sqlite_migrations
from licmon.store.sqlite import prepare_database as prepare_sqlite
from tests.conftest import FakeClock
from tests.pg import PgCluster
from tests.store.conftest import OpenNode
from tests.store.test_seats_contract import a_license

LEASE = 3600


def checkin(lic: License, machine: str, now: int, address: str = "192.0.2.10") -> CheckinCommand:
    ip = ipaddress.ip_address(address)
    return CheckinCommand(
        license=lic,
        machine=machine,
        now=now,
        lease_expires=now + LEASE,
        connection=connection_record(lic, ip, GeoInfo(city="Graz"), now),
        client_address=address,
    )


@pytest.fixture
async def store(pg_url: str, clock: FakeClock) -> PostgresStore:
    opened = PostgresStore(pg_url, clock=clock, pool_size=2)
    await opened.open()
    yield opened  # type: ignore[misc]
    await opened.close()


def test_migrations_are_recorded_with_sqlites_ids_in_sqlites_order(
    pg_url: str, tmp_path: Path
) -> None:
    prepare_sqlite(tmp_path / "licmon.db")
    sqlite_ids = [
        row["name"]
        for row in Database(tmp_path / "licmon.db")["_sqlite_migrations"].rows_where(
            order_by="rowid"
        )
    ]
    with psycopg.connect(pg_url) as conn:
        rows = conn.execute("SELECT id FROM migrations ORDER BY applied_at, id").fetchall()
    pg_ids = [row[0] for row in rows]
    assert [i for i in pg_ids if i not in POSTGRES_ONLY] == sqlite_ids
    assert set(pg_ids) >= POSTGRES_ONLY
    assert sqlite_ids[0] == "m001_core" and len(sqlite_ids) == len(
        sqlite_migrations.migrations._migrations
    )


async def test_the_normal_role_cannot_read_personal_columns_the_gateway_can(
    store: PostgresStore, clock: FakeClock
) -> None:
    lic = await a_license(store, seats=1)
    await store.checkin(checkin(lic, "m1", int(clock())))
    for table, columns in PERSONAL_COLUMNS.items():
        for column in sorted(columns):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                await store._read(lambda c, t=table, k=column: c.execute(f"SELECT {k} FROM {t}"))
    rows = await store._read(
        lambda c: c.execute("SELECT day, checkins FROM connections").fetchall()
    )
    assert [row[1] for row in rows] == [1]
    seen = await store._gateway(
        lambda c: c.execute("SELECT address, city FROM connections").fetchall()
    )
    assert seen == [("192.0.2.10", "Graz")]


async def test_the_normal_role_cannot_rewrite_the_audit_log(store: PostgresStore) -> None:
    await store.add_org("acme", "Acme", IpPrecision.FULL, 30)
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        await store._write(lambda c: c.execute("UPDATE audit SET actor = 'x'"))
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        await store._write(lambda c: c.execute("DELETE FROM audit"))


def test_two_databases_on_one_cluster_get_roles_of_their_own(pg_cluster: PgCluster) -> None:
    first, second = pg_cluster.empty_database(), pg_cluster.empty_database()
    roles = prepare_database(first), prepare_database(second)
    assert roles[0].app != roles[1].app and roles[0].gateway != roles[1].gateway
    assert prepare_database(first) == roles[0]  # a restart finds its own roles again


async def seat_rows_and_counter(store: PostgresStore, license_id: int) -> tuple[int, int]:
    def read(conn: psycopg.Connection) -> tuple[int, int]:  # type: ignore[type-arg]
        (counted, swept) = conn.execute(
            "SELECT in_use, swept_at FROM license_seats WHERE license_id = %s", (license_id,)
        ).fetchone()
        (rows,) = conn.execute(
            "SELECT count(*) FROM seats WHERE license_id = %s AND expires_at > %s",
            (license_id, swept),
        ).fetchone()
        return counted, rows

    return await store._read(read)


async def test_the_seat_counter_equals_the_seat_rows_whatever_changes_them(
    store: PostgresStore, clock: FakeClock
) -> None:
    lic = await a_license(store, seats=4)
    now = int(clock())
    for machine in ("m1", "m2", "m3"):
        await store.checkin(checkin(lic, machine, now))
    await store.checkin(checkin(lic, "m1", now + 60))  # a renewal
    await store.release(lic.id, "m2")
    counted, rows = await seat_rows_and_counter(store, lic.id)
    assert counted == rows == 2
    await store.checkin(checkin(lic, "m4", now + LEASE + 30))  # m3's seat expired
    counted, rows = await seat_rows_and_counter(store, lic.id)
    assert counted == rows == 2  # m1 (renewed at +60) and m4
    await store._write(lambda c: c.execute("DELETE FROM seats WHERE license_id = %s", (lic.id,)))
    assert await seat_rows_and_counter(store, lic.id) == (0, 0)


async def test_a_node_with_another_pepper_refuses_to_start(pg_url: str, tmp_path: Path) -> None:
    first = Settings(data_dir=tmp_path / "a", database_url=pg_url)
    second = Settings(data_dir=tmp_path / "b", database_url=pg_url)
    prepare_store(first)
    prepare_store(first)  # the same pepper again: fine
    (tmp_path / "c").mkdir()
    with pytest.raises(ConfigError, match="pepper differs from the one the database"):
        prepare_store(second)
    store = open_store(second)
    with pytest.raises(ConfigError, match="pepper differs"):
        await store.open()


def test_without_the_driver_one_clear_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(sys.modules):
        if name.startswith(("psycopg", "licmon.store.postgres")):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "psycopg", None)
    settings = Settings(data_dir=tmp_path, database_url="postgresql://licmon@db.invalid/licmon")
    with pytest.raises(ConfigError) as caught:
        open_store(settings)
    assert (
        str(caught.value) == POSTGRES_MISSING == "PostgreSQL needs: pip install 'licmon[postgres]'"
    )


async def test_a_batch_aborted_by_a_deadlock_with_another_node_runs_again(
    pg_nodes: OpenNode,
) -> None:
    first, second = await pg_nodes(), await pg_nodes()
    await first._write(
        lambda c: c.execute(
            "INSERT INTO usage_daily (day, product, country) VALUES ('d', 'a', ''), ('d', 'b', '')"
        )
    )
    both_hold_one = threading.Barrier(2, timeout=10)

    runs: list[str] = []

    def crosswise(mine: str, theirs: str) -> Callable[[psycopg.Connection[Any]], str]:
        def op(conn: psycopg.Connection[Any]) -> str:
            touch = "UPDATE usage_daily SET checkins = checkins + 1 WHERE product = %s"
            conn.execute(touch, (mine,))
            if mine not in runs:  # the first run of each waits until both hold a row
                runs.append(mine)
                both_hold_one.wait()
            conn.execute(touch, (theirs,))
            return mine

        return op

    done = await asyncio.gather(
        first._write(crosswise("a", "b")), second._write(crosswise("b", "a"))
    )
    assert done == ["a", "b"]
    assert first.writer.retries + second.writer.retries >= 1
    rows = await first._read(
        lambda c: c.execute("SELECT product, checkins FROM usage_daily ORDER BY 1").fetchall()
    )
    assert rows == [("a", 2), ("b", 2)]  # each command counted once, none lost


async def test_a_pipelined_command_failing_at_its_end_is_rolled_back_alone(
    pg_nodes: OpenNode,
) -> None:
    node = await pg_nodes()
    insert = "INSERT INTO usage_daily (day, product, country) VALUES ('d', %s, '')"

    def fails_late(conn: psycopg.Connection[Any]) -> str:
        conn.execute(insert, ("late",))
        conn.execute(insert, ("late",))  # a duplicate key, seen only at the pipeline's end
        return "acknowledged"

    beside = node.writer.submit(lambda c: c.execute(insert, ("beside",)) and "ok")
    late = node.writer.submit(SeatCommand(fails_late, (), pipelined=True))
    outcomes = await asyncio.gather(beside, late, return_exceptions=True)
    assert outcomes[0] == "ok"
    assert isinstance(outcomes[1], psycopg.errors.UniqueViolation)
    assert node.writer.stats.batches == 1  # one batch: its savepoint kept them apart
    rows = await node._read(lambda c: c.execute("SELECT product FROM usage_daily").fetchall())
    assert rows == [("beside",)]  # the failing command left nothing, the other committed
    assert await node._write(lambda c: c.execute(insert, ("after",)) and "ok") == "ok"
