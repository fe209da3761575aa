"""Backups inside the rules: encrypted, with a deadline, and an erased subject never comes
back from an older one."""

import asyncio
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from licmon.cli import main
from licmon.domain.checkin import checkin_command
from licmon.domain.models import NO_GEO, CheckinRequest
from licmon.domain.network import parse_ip
from licmon.store.sqlite import SqliteStore
from tests import serverproc
from tests.privacy.test_audit_seal import rechain
from tests.staffer import staff_token

ERASED, KEPT = "203.0.113.7", "198.51.100.9"
JUSTIFY = ("--justification", "request DSR-12 from the subject")


@pytest.fixture
def run(tmp_path: Path) -> Any:
    runner = CliRunner(env={"LICMON_DATA_DIR": str(tmp_path / "data"), "LICMON_CONFIG": ""})

    def invoke(*args: str) -> Result:
        return runner.invoke(main, list(args))

    assert invoke("init").exit_code == 0
    invoke("org", "add", "acme")
    invoke("product", "add", "viewer")
    for _ in range(2):
        invoke("license", "add", "--org", "acme", "--product", "viewer", "--seats", "5")
    asyncio.run(checkins(tmp_path / "data" / "licmon.db"))
    runner.env["LICMON_TOKEN"] = staff_token(tmp_path / "data" / "licmon.db")
    return invoke


async def checkins(path: Path) -> None:
    store = SqliteStore(path)
    await store.open()
    for license_id, machine, address in ((1, "machine-0001", ERASED), (2, "machine-0002", KEPT)):
        lic = await store.get_license(license_id)
        ip = parse_ip(address)
        assert ip is not None
        request = CheckinRequest("k", "viewer", machine, "n" * 22)
        await store.checkin(checkin_command(lic, request, ip, NO_GEO, int(store._now())))
    await store.close()


def ok(result: Result) -> str:
    assert result.exit_code == 0, result.output
    return result.stdout


def one_line_error(result: Result) -> str:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    return lines[0]


def addresses(database: Path) -> list[str]:
    conn = sqlite3.connect(database)
    try:
        return sorted(a for (a,) in conn.execute("SELECT address FROM connections"))
    finally:
        conn.close()


def test_a_backup_holds_no_plaintext_and_restores_only_with_its_key(
    run: Any, tmp_path: Path
) -> None:
    copy = tmp_path / "copy.lmbk"
    ok(run("backup", str(copy)))
    made = [
        e for e in json.loads(ok(run("audit", "list", "--json"))) if e["action"] == "backup.create"
    ]
    assert len(made) == 1 and made[0]["actor"].startswith("user:")  # the token's person
    assert "expires_at" in made[0]["details"] and made[0]["details"]["file"] == copy.name
    raw = copy.read_bytes()
    for plain in (ERASED.encode(), KEPT.encode(), b"connections", b"licenses", b"SQLite format"):
        assert plain not in raw, plain
    other = tmp_path / "other"
    CliRunner(env={"LICMON_CONFIG": ""}).invoke(main, ["init", "--data-dir", str(other)])
    wrong = run("restore", str(copy), "--key-file", str(other / "backup.key"))
    assert "another backup key" in one_line_error(wrong)
    ok(run("restore", str(copy)))
    assert addresses(tmp_path / "data" / "licmon.db") == sorted([ERASED, KEPT])


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (lambda b: b[:-40], "cut short"),
        (lambda b: b[:-200] + bytes([b[-200] ^ 1]) + b[-199:], "damaged or was altered"),
    ],
)
def test_a_cut_or_altered_backup_is_refused(
    run: Any, tmp_path: Path, spoil: Any, message: str
) -> None:
    copy = tmp_path / "copy.lmbk"
    ok(run("backup", str(copy)))
    copy.write_bytes(spoil(copy.read_bytes()))
    database = tmp_path / "data" / "licmon.db"
    before = database.read_bytes()
    assert message in one_line_error(run("restore", str(copy)))
    assert database.read_bytes() == before


def _prune_in_two_days(data: Path, backups: Path) -> dict[str, Any]:
    env = {**os.environ, "LICMON_DATA_DIR": str(data), "LICMON_CONFIG": ""}
    done = subprocess.run(
        [
            "faketime",
            "-f",
            "+2d",
            sys.executable,
            "-m",
            "licmon",
            "backup",
            "prune",
            str(backups),
            "--json",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_prune_deletes_expired_backups_only(run: Any, tmp_path: Path) -> None:
    backups = tmp_path / "backups"
    backups.mkdir()
    data = tmp_path / "data"
    short = CliRunner(
        env={"LICMON_DATA_DIR": str(data), "LICMON_CONFIG": "", "LICMON_BACKUP_RETENTION_DAYS": "1"}
    )
    ok(short.invoke(main, ["backup", str(backups / "short.lmbk")]))
    ok(short.invoke(main, ["restore", str(backups / "short.lmbk")]))  # keeps a 1-day copy
    ok(run("backup", str(backups / "long.lmbk")))  # 14 days
    (backups / "notes.lmbk").write_text("not a backup")
    kept_copy = next(data.glob("licmon.db.before-restore-*.lmbk"))
    assert ok(run("backup", "prune", str(backups), "--json")).count("lmbk") == 0  # not yet
    deleted = _prune_in_two_days(data, backups)["deleted"]
    assert sorted(Path(p).name for p in deleted) == sorted(["short.lmbk", kept_copy.name])
    assert sorted(p.name for p in backups.iterdir()) == ["long.lmbk", "notes.lmbk"]


def test_restore_of_a_pre_erasure_backup_keeps_the_subject_erased(run: Any, tmp_path: Path) -> None:
    copy = tmp_path / "before-erasure.lmbk"
    ok(run("backup", str(copy)))
    ok(run("dsr", "erase", "--address", ERASED, *JUSTIFY, "--yes"))
    database = tmp_path / "data" / "licmon.db"
    assert addresses(database) == [KEPT]
    restored = json.loads(ok(run("restore", str(copy), "--json")))
    assert restored["erasures_reapplied"] == 1
    assert addresses(database) == [KEPT]  # before any server has opened the database
    assert ERASED.encode() not in database.read_bytes()
    ledger = (tmp_path / "data" / "erasure-ledger.jsonl").read_text()
    assert ERASED not in ledger and json.loads(ledger.splitlines()[0])["kind"] == "address"
    verified = ok(run("audit", "verify"))
    assert "recorded gap" in verified and "lost by the restore" in verified
    entries = json.loads(ok(run("audit", "list", "--json")))
    actors = {e["action"]: e["actor"] for e in entries}  # the backup's own entry is in the gap
    assert actors["dsr.erase"] == "system:erasure-ledger"
    assert actors["backup.restore"].startswith("user:")  # the person of LICMON_TOKEN


def test_restore_of_a_pre_erasure_backup_keeps_an_erased_organization_gone(
    run: Any, tmp_path: Path
) -> None:
    copy = tmp_path / "before-erasure.lmbk"
    ok(run("backup", str(copy)))
    ok(run("org", "erase", "acme", "--yes", *JUSTIFY))
    ok(run("restore", str(copy)))
    slugs = [o["slug"] for o in json.loads(ok(run("org", "list", "--json")))]
    assert slugs == []
    assert addresses(tmp_path / "data" / "licmon.db") == []


def test_a_copy_whose_audit_log_contradicts_the_checkpoints_is_refused(
    run: Any, tmp_path: Path
) -> None:
    ok(run("audit", "verify"))  # sealed
    forged = tmp_path / "forged.db"
    source, target = sqlite3.connect(tmp_path / "data" / "licmon.db"), sqlite3.connect(forged)
    source.backup(target)
    source.close()
    target.execute("DROP TRIGGER audit_no_update")
    rechain(target)
    target.commit()
    target.close()
    database = tmp_path / "data" / "licmon.db"
    before = database.read_bytes()
    assert "contradicts this server's signed checkpoints" in one_line_error(
        run("restore", str(forged))
    )
    assert database.read_bytes() == before


def test_a_database_put_back_by_hand_loses_its_erased_subject_before_serving(
    run: Any, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    database = data / "licmon.db"
    old = tmp_path / "by-hand.db"
    source, target = sqlite3.connect(database), sqlite3.connect(old)
    source.backup(target)
    source.close()
    target.close()
    ok(run("dsr", "erase", "--address", ERASED, *JUSTIFY, "--yes"))
    for suffix in ("-wal", "-shm"):
        database.with_name(database.name + suffix).unlink(missing_ok=True)
    shutil.copyfile(old, database)  # no `licmon restore`: the operator copied the file back
    assert sorted(addresses(database)) == sorted([ERASED, KEPT])
    proc = serverproc.start(data, serverproc.free_port())  # returns once /readyz answers
    try:
        assert addresses(database) == [KEPT]
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0


def test_a_plaintext_scratch_left_by_a_killed_backup_is_removed(run: Any, tmp_path: Path) -> None:
    stale = tmp_path / "data" / ".licmon.db.backup.partial-99999999"  # no such process
    stale.write_bytes(b"SQLite format 3\x00" + ERASED.encode())
    ok(run("backup", str(tmp_path / "copy.lmbk")))
    assert not stale.exists()


def test_prune_also_deletes_plain_copies_an_older_restore_kept(run: Any, tmp_path: Path) -> None:
    old = tmp_path / "data" / "licmon.db.before-restore-20260101T000000Z"
    old.write_bytes(b"SQLite format 3\x00" + ERASED.encode())
    os.utime(old, (1, 1))  # made long ago
    recent = tmp_path / "data" / "licmon.db.before-restore-20261130T000000Z"
    recent.write_bytes(b"SQLite format 3\x00")
    deleted = json.loads(ok(run("backup", "prune", "--json")))["deleted"]
    assert deleted == [str(old)] and recent.exists()


def test_init_makes_the_backup_and_audit_seal_keys_owner_only(run: Any, tmp_path: Path) -> None:
    for name in ("backup.key", "audit-seal.key"):
        key = tmp_path / "data" / name
        assert key.stat().st_mode & 0o777 == 0o600 and len(key.read_bytes()) == 32
