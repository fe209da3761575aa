"""Signed audit checkpoints outside the database: a cut tail and a full re-chain are caught."""

import asyncio
import json
import shutil
import signal
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from licmon.cli import main
from licmon.domain import checkpoints
from licmon.domain.audit import GENESIS, AuditEntry, entry_hash
from licmon.domain.checkpoints import RESTORE, Checkpoint
from licmon.store.sqlite import SqliteStore
from tests import serverproc


@pytest.fixture
def run(tmp_path: Path) -> Any:
    runner = CliRunner(env={"LICMON_DATA_DIR": str(tmp_path / "data"), "LICMON_CONFIG": ""})

    def invoke(*args: str) -> Result:
        return runner.invoke(main, list(args))

    assert invoke("init").exit_code == 0
    for slug in ("acme", "globex", "initech"):
        assert invoke("org", "add", slug).exit_code == 0
    return invoke


def tamper_a_copy(data: Path, change: Any) -> None:
    """Change a copy of the database, as someone with the file but not the data directory's
    keys would, and put it in place of the original."""
    database = data / "licmon.db"
    copy = data.parent / "copy.db"
    source = sqlite3.connect(database)
    target = sqlite3.connect(copy)
    source.backup(target)
    source.close()
    target.execute("DROP TRIGGER audit_no_update")
    target.execute("DROP TRIGGER audit_no_delete")
    change(target)
    target.commit()
    target.close()
    for suffix in ("-wal", "-shm"):
        database.with_name(database.name + suffix).unlink(missing_ok=True)
    shutil.move(copy, database)


def cut_tail(conn: sqlite3.Connection) -> None:
    conn.execute("DELETE FROM audit WHERE id > (SELECT max(id) - 2 FROM audit)")


def rechain(conn: sqlite3.Connection) -> None:
    """Rewrite the first entry and recompute every hash after it: the chain itself holds."""
    rows = conn.execute(
        "SELECT id, at, actor, action, target, outcome, details FROM audit ORDER BY id"
    ).fetchall()
    prev = GENESIS
    for index, (row_id, at, stored_actor, action, target, outcome, details) in enumerate(rows):
        actor = "someone-else" if index == 0 else stored_actor
        entry = AuditEntry(at, actor, action, target, outcome, json.loads(details))
        digest = entry_hash(prev, entry)
        conn.execute(
            "UPDATE audit SET actor = ?, prev_hash = ?, hash = ? WHERE id = ?",
            (actor, prev, digest, row_id),
        )
        prev = digest


def test_verify_is_ok_and_counts_its_checkpoints(run: Any, tmp_path: Path) -> None:
    result = run("audit", "verify")
    assert result.exit_code == 0, result.output
    assert "chain intact" in result.stdout and "checkpoint(s) agree" in result.stdout
    seals = (tmp_path / "data" / "audit-checkpoints.jsonl").read_text().splitlines()
    assert seals and all("sig" in json.loads(line) for line in seals)
    assert (tmp_path / "data" / "audit-seal.key").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    ("change", "message"),
    [(cut_tail, "missing"), (rechain, "rewritten or re-chained")],
)
def test_a_tampered_copy_put_in_place_fails_verify(
    run: Any, tmp_path: Path, change: Any, message: str
) -> None:
    assert run("audit", "verify").exit_code == 0
    tamper_a_copy(tmp_path / "data", change)
    result = run("audit", "verify")
    assert result.exit_code == 1, result.output
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output


def test_a_forged_checkpoint_line_is_reported(run: Any, tmp_path: Path) -> None:
    seals = tmp_path / "data" / "audit-checkpoints.jsonl"
    line = json.loads(seals.read_text().splitlines()[-1])
    line["count"] = 1
    with seals.open("a") as handle:
        handle.write(json.dumps(line) + "\n")
    result = run("audit", "verify")
    assert result.exit_code == 1 and "badly signed" in result.output


def _record_one(database: Path) -> int:
    async def record() -> int:
        store = SqliteStore(database)
        await store.open()
        try:
            await store.audit_record(AuditEntry(int(time.time()), "test", "test.entry", "x:1"))
            return (await store.audit_head())[0]
        finally:
            await store.close()

    return asyncio.run(record())


def test_the_server_seals_the_log_on_its_schedule_and_at_shutdown(tmp_path: Path) -> None:
    data = tmp_path / "data"
    serverproc.seed(data)
    seals = data / "audit-checkpoints.jsonl"
    proc = serverproc.start(data, serverproc.free_port())
    try:
        deadline = time.monotonic() + 10
        while not seals.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert seals.exists(), "no checkpoint at start"
        count = _record_one(data / "licmon.db")  # written while serving, not yet sealed
        assert json.loads(seals.read_text().splitlines()[-1])["count"] == count - 1
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    assert json.loads(seals.read_text().splitlines()[-1])["count"] == count


def test_a_restore_supersedes_the_seals_it_undoes_and_reports_the_gap() -> None:
    seals = [Checkpoint(3, "c", 10), Checkpoint(5, "e", 20), Checkpoint(3, "c", 30, RESTORE)]
    binding, gaps = checkpoints.live([*seals, Checkpoint(4, "x", 40)])
    assert [c.count for c in binding] == [3, 3, 4]
    assert gaps == [
        "entries 4-5 were lost by the restore recorded at 1970-01-01T00:00:30Z "
        "(the log went back to 3 entries)"
    ]
    report = checkpoints.check(seals, 3, {3: "c"})
    assert report.problems == [] and report.checked == 2
    assert (
        checkpoints.check(seals[:2], 3, {3: "c"}).problems[0].startswith("entries 4-5 are missing")
    )
    assert checkpoints.check(seals, 3, {3: "other"}).rewritten
