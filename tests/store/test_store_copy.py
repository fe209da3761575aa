"""licmon store copy: a SQLite installation moved into PostgreSQL, every table and row, the
audit chain intact and verified there; a target that is not empty is refused."""

import sqlite3
from pathlib import Path

import psycopg
from click.testing import CliRunner, Result

from licmon.cli import main
from licmon.domain.access import Role
from licmon.domain.subjects import Subject
from licmon.store.postgres.store import PostgresStore
from licmon.store.sqlite import SqliteStore
from tests.conftest import FakeClock
from tests.store import peek
from tests.store.world import DSR_CTX, check_in, licensed, raised


async def _installation(data: Path, clock: FakeClock) -> int:
    """A SQLite installation with a row in most tables; its audit log's length."""
    store = SqliteStore(data / "licmon.db", synchronous="NORMAL", clock=clock)
    await store.open()
    try:
        lic = await licensed(store)
        now = int(clock())
        for i, address in enumerate(("203.0.113.77", "2001:db8::5", "198.51.100.1")):
            await check_in(store, lic, f"machine-{i}", address, now + i)
        await store.raise_flags([raised(lic.id, now)])
        await store.add_user("ada", "argon-hash", frozenset({Role.ADMIN}), None, actor="cli:t")
        await store.add_api_token("ada", "laptop", b"t" * 32, None, actor="cli:t")
        await store.add_hold("license", str(lic.id), "litigation", "Case 7", None, "cli:t")
        await store.read_connections(DSR_CTX, Subject.parse("license", str(lic.id)))
        await store.sample_seats()
        return (await store.audit_head())[0]
    finally:
        await store.close()


def _counts(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as conn:
        names = [
            r[0]
            for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if not r[0].startswith(("sqlite_", "_sqlite_")) and r[0] != "meta"
        ]
        return {n: conn.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}


def _pg_counts(url: str, owner: str, tables: list[str]) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        conn.execute(f'SET ROLE "{owner}"')
        return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}  # type: ignore[index]


def _copy(data: Path, url: str) -> Result:
    runner = CliRunner(env={"LICMON_DATA_DIR": str(data), "LICMON_CONFIG": ""})
    return runner.invoke(main, ["store", "copy", "--to", url, "--json"])


async def test_a_copy_moves_every_row_and_keeps_the_audit_chain(
    tmp_path: Path, pg_url: str, clock: FakeClock
) -> None:
    data = tmp_path / "data"
    entries = await _installation(data, clock)
    source = _counts(data / "licmon.db")
    assert source["connections"] == 3 and source["audit"] == entries

    done = _copy(data, pg_url)
    assert done.exit_code == 0, done.output
    assert '"audit_verified": true' in done.stdout
    assert "store copy: " in done.stderr and " rows in " in done.stderr

    copy = PostgresStore(pg_url, clock=clock)
    await copy.open()
    try:
        assert _pg_counts(pg_url, copy.roles.owner, list(source)) == {
            **source,
            "audit": entries + 1,  # and the copy itself
        }
        count, broken = await copy.audit_verify()
        assert broken is None and count == entries + 1
        assert (await copy.audit_recent(1))[0].entry.action == "store.copy"
        rows = await copy.read_connections(DSR_CTX, Subject.parse("machine", "machine-1"))
        assert [r["address"] for r in rows] == ["2001:db8::5"]
        assert [u.username for u in await copy.list_users()] == ["ada"]
        assert (await copy.license_usage(1)).seats_in_use == 3  # counters follow the rows
        assert peek.counters(copy) == [(1, 3, 3)]  # the seat counter, as the source's
        user = await copy.add_user("bo", "h", frozenset({Role.ANALYST}), None, actor="cli:t")
        assert user.id == 2  # identities continue after the copied ids
    finally:
        await copy.close()


async def test_a_target_that_is_not_empty_is_refused_with_one_line(
    tmp_path: Path, pg_url: str, clock: FakeClock
) -> None:
    data = tmp_path / "data"
    await _installation(data, clock)
    assert _copy(data, pg_url).exit_code == 0
    again = _copy(data, pg_url)
    assert again.exit_code != 0
    assert "not empty" in again.output and "Traceback" not in again.output
    assert len(again.output.strip().splitlines()) == 1


def test_a_target_that_is_no_postgresql_url_is_refused(tmp_path: Path) -> None:
    done = _copy(tmp_path / "data", "sqlite:///elsewhere.db")
    assert done.exit_code != 0 and "postgresql://" in done.output


def test_an_unreachable_target_is_one_clear_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    CliRunner(env={"LICMON_DATA_DIR": str(data), "LICMON_CONFIG": ""}).invoke(main, ["init"])
    done = _copy(data, "postgresql://nobody@127.0.0.1:9/none?connect_timeout=2")
    assert done.exit_code != 0
    assert "Traceback" not in done.output and "unexpected" not in done.output
    assert len(done.output.strip().splitlines()) == 1, done.output
