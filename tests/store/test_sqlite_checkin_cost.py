"""A check-in's cost does not grow with its license: counted in SQLite virtual-machine steps
(deterministic, unlike time) for a renewal on a license before and after thousands of other
seats, online and borrowed, are taken."""

import asyncio
import sqlite3
from pathlib import Path

import pytest
from sqlite_utils import Database

from licmon.domain.models import IpPrecision, License, LicenseTerms, SeatKind
from licmon.domain.purposes import DAY
from licmon.store.sqlite import SqliteStore, seats
from licmon.store.sqlite.migrations import PLAIN_CHECKS, migrations
from licmon.store.sqlite.personal import privileged
from licmon.store.sqlite.store import connect, prepare_database
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


async def open_with_license(path: Path, terms: LicenseTerms) -> tuple[SqliteStore, License]:
    store = SqliteStore(path, synchronous="NORMAL")
    await store.open()
    await store.add_org("acme", "Acme", IpPrecision.FULL, 30)
    await store.add_product("viewer", "Viewer")
    return store, await store.add_license("acme", "viewer", terms, b"k" * 32)


async def test_a_renewal_costs_the_same_beside_thousands_of_seats(tmp_path: Path) -> None:
    path = tmp_path / "licmon.db"
    terms = LicenseTerms(
        seats=10 * OTHERS, max_machines=10 * OTHERS, lease_seconds=LEASE, max_borrow_days=7
    )
    store, lic = await open_with_license(path, terms)
    try:
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


def renewal_programs(path: Path, lic: License, now: int) -> list[tuple[str, list[str]]]:
    """Each statement a renewal runs (not those of triggers) with its program's opcodes."""
    conn = connect(path, "NORMAL")
    traced: list[str] = []
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.set_trace_callback(traced.append)
        seats.apply_checkin(conn, command(lic, "renewing", now))
        conn.set_trace_callback(None)
        conn.execute("ROLLBACK")
        with privileged(conn):
            return [
                (sql, [row[1] for row in conn.execute(f"EXPLAIN {sql}")])
                for sql in traced
                if not sql.startswith(("--", "SAVEPOINT", "RELEASE"))
            ]
    finally:
        conn.close()


async def renewing_once(path: Path) -> License:
    """A 5-seat license whose machine ``renewing`` has checked in once, the store closed."""
    store, lic = await open_with_license(path, LicenseTerms(seats=5, max_machines=10))
    try:
        await store.checkin(command(lic, "renewing", NOW))
    finally:
        await store.close()
    return lic


async def test_a_renewal_builds_no_temporary_table(tmp_path: Path) -> None:
    """RETURNING and CHECK (x IN (three or more)) make SQLite build a temporary b-tree on
    every run: a fifth of a renewal's instructions (bench/, README)."""
    path = tmp_path / "licmon.db"
    lic = await renewing_once(path)
    programs = renewal_programs(path, lic, NOW + 60)  # a later second: the counter is swept
    next_day = renewal_programs(path, lic, NOW + DAY)  # the day's first: its row inserted
    assert any("license_seats" in sql for sql, _ in programs)
    assert any("UPDATE connections" in sql for sql, _ in programs)
    assert any("INTO connections" in sql for sql, _ in next_day)
    ephemeral = [sql.split("(")[0] for sql, ops in programs + next_day if "OpenEphemeral" in ops]
    assert ephemeral == []


async def test_a_machine_seen_before_is_updated_by_its_id_not_inserted_again(
    tmp_path: Path,
) -> None:
    """An upsert tries the insert first (foreign key, unique index) on every renewal."""
    path = tmp_path / "licmon.db"
    lic = await renewing_once(path)
    statements = [sql for sql, _ in renewal_programs(path, lic, NOW + 60)]
    assert [sql for sql in statements if "INTO machines" in sql] == []
    assert any("UPDATE machines SET last_seen" in sql for sql in statements)
    # what the rows keep: tests/store/test_seats_contract.py, on both backends


async def test_the_days_connection_row_seen_again_is_updated_by_its_key(tmp_path: Path) -> None:
    """A renewal from the address and day already logged binds eight parameters to an update by
    the row's unique key (an index lookup), not a nineteen-parameter insert tried first; a new
    day still gets its row (what the rows keep: tests/store/test_seats_contract.py)."""
    path = tmp_path / "licmon.db"
    lic = await renewing_once(path)
    statements = [sql for sql, _ in renewal_programs(path, lic, NOW + 60)]
    assert [sql for sql in statements if "INTO connections" in sql] == []
    touched = [sql for sql in statements if "connections" in sql]
    assert len(touched) == 1 and touched[0].lstrip().startswith("UPDATE connections SET")
    next_day = [sql for sql, _ in renewal_programs(path, lic, NOW + DAY)]
    assert any("INTO connections" in sql for sql in next_day)
    conn = connect(path, "NORMAL")
    try:
        with privileged(conn):
            plan = conn.execute(f"EXPLAIN QUERY PLAN {seats.TOUCH_CONNECTION}", (0,) * 8)
            details = " ".join(row[3] for row in plan)
    finally:
        conn.close()
    assert "USING INDEX" in details and "day=? AND address=?" in details, details


def test_none_binds_as_null_without_the_adapter_protocol(tmp_path: Path) -> None:
    """licmon registers an adapter for None (CPython's sqlite3 otherwise walks the adapter
    protocol for every NULL parameter); the value bound is still NULL."""
    assert (type(None), sqlite3.PrepareProtocol) in sqlite3.adapters
    conn = connect(tmp_path / "x.db")
    try:
        row = conn.execute("SELECT ? IS NULL, typeof(?), coalesce(?, 'x')", (None,) * 3)
        assert row.fetchone() == (1, "null", "x")
    finally:
        conn.close()


def test_privileged_ends_with_its_block_even_on_error(tmp_path: Path) -> None:
    conn = connect(tmp_path / "x.db")
    try:
        with pytest.raises(RuntimeError), privileged(conn) as inside:
            assert inside is conn and conn.privileged
            raise RuntimeError("boom")
        assert conn.privileged is False
    finally:
        conn.close()
    plain = sqlite3.connect(":memory:")
    with pytest.raises(TypeError), privileged(plain):
        pass
    plain.close()


def test_an_upgraded_database_keeps_its_rows_and_its_checks(tmp_path: Path) -> None:
    path = tmp_path / "licmon.db"
    migrations.apply(Database(path), stop_before="m023_plain_checks")  # as released before
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("INSERT INTO orgs (slug, name, created_at) VALUES ('a', 'A', 0)")
        conn.execute("INSERT INTO products (code, name, created_at) VALUES ('p', 'P', 0)")
        conn.execute(
            "INSERT INTO licenses (org_id, product_id, key_hash, seats, max_machines, "
            "lease_seconds, grace_seconds, created_at, updated_at) "
            "VALUES (1, 1, x'00', 1, 1, 60, 0, 0, 0)"
        )
        conn.execute(
            "INSERT INTO machines (license_id, fingerprint, first_seen, last_seen) "
            "VALUES (1, 'm', 0, 0)"
        )
        conn.execute(
            "INSERT INTO seats (license_id, machine_id, granted_at, expires_at, kind) "
            "VALUES (1, 1, 0, 60, 'borrowed')"
        )
        for table, before, _ in PLAIN_CHECKS:
            assert before in schema_of(conn, table)
    finally:
        conn.close()

    prepare_database(path)

    conn = sqlite3.connect(path, isolation_level=None)
    try:
        for table, before, after in PLAIN_CHECKS:
            assert before not in schema_of(conn, table)
            assert after in schema_of(conn, table)
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("SELECT kind FROM seats").fetchall() == [("borrowed",)]
        with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
            conn.execute("UPDATE seats SET kind = 'stolen'")
        with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
            conn.execute(
                "INSERT INTO connections (license_id, machine_id, day, address, precision, "
                "first_seen, last_seen, purpose, retain_until) "
                "VALUES (1, 1, '2026-12-03', '', 'exact', 0, 0, 'x', 0)"
            )
        assert conn.execute("SELECT kind FROM seats").fetchall() == [("borrowed",)]
    finally:
        conn.close()


def schema_of(conn: sqlite3.Connection, table: str) -> str:
    (sql,) = conn.execute("SELECT sql FROM sqlite_master WHERE name = ?", (table,)).fetchone()
    return str(sql)
