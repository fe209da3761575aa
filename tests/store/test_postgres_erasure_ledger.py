"""Several nodes on one PostgreSQL database share the erasure ledger: a database restored
from a dump taken before an erasure loses it again on whichever node starts, even when the
node that ran the erasure (and wrote its own ledger) is gone."""

import json
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import psycopg

from licmon.datadir import DataDir
from licmon.domain.audit import AuditEntry
from licmon.domain.models import License
from licmon.domain.subjects import Subject, SubjectKind
from licmon.restoring import reapply_newer_erasures
from licmon.store.erasure_ledger import LOCAL, SHARED, Erasure, ErasureLedger
from licmon.store.postgres.store import PostgresStore
from tests.conftest import FakeClock
from tests.pg import PgCluster
from tests.store.world import DSR_CTX, check_in, licensed

ERASED, KEPT = "203.0.113.77", "198.51.100.4"


def node_dirs(root: Path) -> tuple[Path, Path]:
    """Two nodes' data directories with the same pepper (a node checks it at start)."""
    first, second = root / "node-a", root / "node-b"
    DataDir(first).ensure().pepper()
    DataDir(second).ensure()
    shutil.copy2(first / "pepper", second / "pepper")
    return first, second


async def opened(url: str, data_dir: Path, clock: FakeClock) -> PostgresStore:
    node = PostgresStore(url, clock=clock, pool_size=2, data_dir=data_dir)
    await node.open()
    return node


def copy_database(cluster: PgCluster, url: str) -> str:
    """What a dump restored later brings back: the database as it is now (no one connected)."""
    source = urlsplit(url).path.lstrip("/")
    name = f"{source}_backup"
    cluster.admin(f"CREATE DATABASE {name} TEMPLATE {source} OWNER licmon_test")
    return cluster.url(name)


def lines_in(cluster: PgCluster, url: str) -> int:
    database = urlsplit(url).path.lstrip("/")
    with psycopg.connect(cluster.url(database, "postgres")) as conn:
        row = conn.execute("SELECT count(*) FROM erasure_lines").fetchone()
    assert row is not None
    return int(row[0])


async def seeded(url: str, data_dir: Path, clock: FakeClock) -> License:
    """A license with check-ins from ERASED and KEPT, written through a node then closed."""
    node = await opened(url, data_dir, clock)
    try:
        lic = await licensed(node)
        await check_in(node, lic, "machine-0001", ERASED, int(clock()))
        await check_in(node, lic, "machine-0002", KEPT, int(clock()))
    finally:
        await node.close()
    return lic


async def addresses(node: PostgresStore, lic_id: int) -> list[str]:
    rows = await node.read_connections(DSR_CTX, Subject.parse("license", str(lic_id)))
    return sorted(str(row["address"]) for row in rows)


async def test_a_restored_database_loses_again_what_a_node_now_gone_erased(
    pg_cluster: PgCluster, tmp_path: Path, clock: FakeClock
) -> None:
    url = pg_cluster.fresh_database()
    dir_a, dir_b = node_dirs(tmp_path)
    lic = await seeded(url, dir_a, clock)
    backup = copy_database(pg_cluster, url)

    clock.advance(3600)
    a, b = await opened(url, dir_a, clock), await opened(url, dir_b, clock)
    await a.dsr_erase(DSR_CTX, Subject.parse("address", ERASED))
    assert await b.share_erasure_ledger() == 1  # node b's ledger now holds node a's erasure
    assert await b.share_erasure_ledger() == 0
    await a.close()
    await b.close()
    shutil.rmtree(dir_a)  # node a is gone for good, its ledger with it

    restored = await opened(backup, dir_b, clock)
    try:
        assert await addresses(restored, lic.id) == [KEPT, ERASED]
        assert lines_in(pg_cluster, backup) == 0
        assert await reapply_newer_erasures(restored) == 1
        assert await addresses(restored, lic.id) == [KEPT]
        assert await restored.share_erasure_ledger() == 0
        assert lines_in(pg_cluster, backup) == 1  # the restored database has its line back
    finally:
        await restored.close()


async def test_a_node_running_across_the_restore_erases_again_at_its_next_exchange(
    pg_cluster: PgCluster, tmp_path: Path, clock: FakeClock
) -> None:
    """No restart and a newer audit entry (the start-up re-application would skip the
    erasure): the node sees that the database lost a line of its ledger, and acts on it."""
    url = pg_cluster.fresh_database()
    dir_a, _ = node_dirs(tmp_path)
    lic = await seeded(url, dir_a, clock)
    backup = copy_database(pg_cluster, url)
    clock.advance(3600)
    a = await opened(url, dir_a, clock)
    await a.dsr_erase(DSR_CTX, Subject.parse("address", ERASED))
    await a.close()
    clock.advance(60)
    restored = await opened(backup, dir_a, clock)  # the same node, now on the older copy
    try:
        await restored.audit_record(AuditEntry(int(clock()), "user:1", "test", "x", "ok", {}))
        assert await reapply_newer_erasures(restored) == 0  # newer than the erasure: skipped
        assert await addresses(restored, lic.id) == [KEPT, ERASED]
        assert await restored.share_erasure_ledger() == 0
        assert await addresses(restored, lic.id) == [KEPT]
        assert lines_in(pg_cluster, backup) == 1
    finally:
        await restored.close()


async def test_the_shared_lines_hold_keyed_hashes_only(
    pg_cluster: PgCluster, tmp_path: Path, clock: FakeClock
) -> None:
    url = pg_cluster.fresh_database()
    dir_a, dir_b = node_dirs(tmp_path)
    await seeded(url, dir_a, clock)
    a = await opened(url, dir_a, clock)
    try:
        await a.dsr_erase(DSR_CTX, Subject.parse("address", ERASED))
    finally:
        await a.close()
    database = urlsplit(url).path.lstrip("/")
    with psycopg.connect(pg_cluster.url(database, "postgres")) as conn:
        rows = conn.execute("SELECT kind, subject, purpose FROM erasure_lines").fetchall()
    [(kind, subject, purpose)] = rows
    assert (kind, purpose) == ("address", "dsr")
    assert ERASED not in subject and len(subject) == 64
    assert subject == ErasureLedger(dir_b).subject_hash("address", ERASED, SHARED)  # every node's
    assert not (dir_a / "erasure-ledger.key").exists()  # no key of its own was needed


def test_a_ledger_with_lines_of_both_keys_matches_each_with_its_own(tmp_path: Path) -> None:
    """A node's lines from before the shared key keep matching through the node's own key."""
    DataDir(tmp_path).ensure().pepper()
    ledger = ErasureLedger(tmp_path)
    old = Erasure("machine", ledger.subject_hash("machine", "m-old"), None, 10)
    assert old.key == LOCAL
    new = Erasure("machine", ledger.subject_hash("machine", "m-new", SHARED), 3, 20, SHARED)
    assert ledger.merge([old, new]) == 2
    assert ledger.merge([new]) == 0
    found = ledger.matches(SubjectKind.MACHINE, ["m-new", "m-old", "m-other"], ledger.entries())
    assert sorted(value for _, value in found) == ["m-new", "m-old"]
    assert [e.cut_off for e in ledger.entries(since=15)] == [20]
    first, second = ledger.path.read_text().splitlines()
    assert '"key"' not in first  # a local line reads as before the key was named
    assert json.loads(second)["key"] == SHARED


def test_a_line_with_fields_of_a_later_version_still_reads(tmp_path: Path) -> None:
    ledger = ErasureLedger(tmp_path)
    line = {"kind": "org", "subject": "ab" * 32, "org_id": 1, "cut_off": 5, "key": SHARED}
    ledger.path.write_text(json.dumps({**line, "node": "n-1"}) + "\n" + "not json\n")
    assert ledger.entries() == [Erasure(**line)]  # type: ignore[arg-type]
