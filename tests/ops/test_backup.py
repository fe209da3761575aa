"""licmon backup and restore: consistent copies, checked and atomic restores, clear refusals."""

import asyncio
import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from click.testing import CliRunner, Result

from licmon.cli import main
from licmon.serverlock import serving
from tests.conftest import checkin_body
from tests.serverproc import free_port, log_path, seated_machines, seed, start


@pytest.fixture
def run(tmp_path: Path) -> Any:
    runner = CliRunner(env={"LICMON_DATA_DIR": str(tmp_path / "data"), "LICMON_CONFIG": ""})

    def invoke(*args: str) -> Result:
        return runner.invoke(main, list(args))

    invoke("init")
    invoke("org", "add", "acme")
    invoke("product", "add", "viewer")
    invoke("license", "add", "--org", "acme", "--product", "viewer")
    return invoke


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def orgs(run: Any) -> list[str]:
    return [o["slug"] for o in json.loads(run("org", "list", "--json").stdout)]


def test_backup_to_a_directory_writes_a_dated_owner_only_copy(run: Any, tmp_path: Path) -> None:
    backups = tmp_path / "backups"
    backups.mkdir()
    result = run("backup", str(backups), "--json")
    assert result.exit_code == 0, result.output
    info = json.loads(result.stdout)
    copy = Path(info["path"])
    assert copy.parent == backups and copy.name.startswith("licmon-") and copy.suffix == ".lmbk"
    assert copy.stat().st_mode & 0o777 == 0o600
    assert info["licenses"] == 1 and "m001_core" in info["migrations"]
    assert list(backups.iterdir()) == [copy]  # no partial file left behind
    assert copy.read_bytes().startswith(b"LICMONBK")  # encrypted: see tests/ops/test_sealed_backups
    data = tmp_path / "data"
    assert not [p for p in data.iterdir() if ".partial-" in p.name]  # no plaintext scratch left


def test_backup_never_overwrites_without_force(run: Any, tmp_path: Path) -> None:
    target = tmp_path / "copy.db"
    target.write_text("precious")
    refused = run("backup", str(target))
    assert refused.exit_code == 1
    assert refused.output.strip() == f"Error: {target} already exists (use --force to replace it)"
    assert target.read_text() == "precious"
    assert run("backup", str(target), "--force").exit_code == 0
    assert target.read_bytes().startswith(b"LICMONBK")


def test_backup_never_writes_over_the_live_database(run: Any, tmp_path: Path) -> None:
    database = tmp_path / "data" / "licmon.db"
    before = digest(database)
    for target in (database, database.with_name("licmon.db-wal")):
        result = run("backup", str(target), "--force")
        assert result.exit_code == 1 and "is the database itself" in result.output
    assert digest(database) == before


@pytest.mark.parametrize(
    ("where", "message"),
    [("missing-dir/copy.db", "does not exist"), ("copy.db", "database")],
)
def test_backup_errors_are_one_line(tmp_path: Path, where: str, message: str) -> None:
    runner = CliRunner(env={"LICMON_CONFIG": ""})
    data = tmp_path / ("data" if where != "copy.db" else "empty")
    if where != "copy.db":
        CliRunner(env={"LICMON_CONFIG": ""}).invoke(main, ["init", "--data-dir", str(data)])
    result = runner.invoke(main, ["backup", str(tmp_path / where), "--data-dir", str(data)])
    assert result.exit_code == 1 and message in result.output
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output


def test_restore_puts_the_backup_back_and_keeps_the_previous_database(
    run: Any, tmp_path: Path
) -> None:
    copy = tmp_path / "copy.db"
    assert run("backup", str(copy)).exit_code == 0
    run("org", "add", "later")
    assert orgs(run) == ["acme", "later"]
    result = run("restore", str(copy))
    assert result.exit_code == 0, result.output
    assert "previous database is kept" in result.output
    assert orgs(run) == ["acme"]
    database = tmp_path / "data" / "licmon.db"
    assert database.stat().st_mode & 0o777 == 0o600
    kept = list(database.parent.glob("licmon.db.before-restore-*"))
    assert len(kept) == 1 and kept[0].stat().st_mode & 0o777 == 0o600
    assert not list(database.parent.glob(".licmon.db.partial-*"))


def plain_copy(database: Path, dest: Path) -> None:
    source, target = sqlite3.connect(database), sqlite3.connect(dest)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()


def _not_sqlite(path: Path) -> None:
    path.write_text("hello, I am not a database\n")


def _not_licmon(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE orgs (id INTEGER PRIMARY KEY)")
    conn.commit()
    conn.close()


def _from_the_future(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
        "VALUES ('licmon', 'm999_future', '2030-01-01')"
    )
    conn.commit()
    conn.close()


def _damaged(path: Path) -> None:
    data = bytearray(path.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    for offset in range(page, len(data), page):  # every page but the header's
        data[offset : offset + 64] = b"\xa5" * 64
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (_not_sqlite, "is not a SQLite database"),
        (_not_licmon, "is not a licmon database"),
        (_from_the_future, "was written by a newer licmon (migrations m999_future)"),
        (_damaged, "is damaged"),
    ],
)
def test_restore_refuses_a_bad_source_and_changes_nothing(
    run: Any, tmp_path: Path, spoil: Any, message: str
) -> None:
    source = tmp_path / "source.db"
    if spoil is not _not_sqlite and spoil is not _not_licmon:
        plain_copy(tmp_path / "data" / "licmon.db", source)  # a plain (pre-encryption) backup
    spoil(source)
    database = tmp_path / "data" / "licmon.db"
    before = digest(database)
    result = run("restore", str(source))
    assert result.exit_code == 1, result.output
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output
    assert digest(database) == before
    assert not list(database.parent.glob(".licmon.db.partial-*"))
    assert not list(database.parent.glob("licmon.db.before-restore-*"))


def test_restore_refuses_while_the_database_is_open(run: Any, tmp_path: Path) -> None:
    copy = tmp_path / "copy.db"
    run("backup", str(copy))
    other = sqlite3.connect(tmp_path / "data" / "licmon.db")
    try:
        other.execute("SELECT count(*) FROM orgs").fetchone()
        result = run("restore", str(copy))
    finally:
        other.close()
    assert result.exit_code == 1 and "is in use: stop licmon first" in result.output


def test_restore_refuses_while_a_server_runs_on_the_data_directory(
    run: Any, tmp_path: Path
) -> None:
    copy = tmp_path / "copy.db"
    run("backup", str(copy))
    with serving(tmp_path / "data"):
        result = run("restore", str(copy))
    assert result.exit_code == 1 and "licmon serve is running" in result.output


def test_restore_into_a_new_data_directory(run: Any, tmp_path: Path) -> None:
    copy = tmp_path / "copy.db"
    run("backup", str(copy))
    fresh = tmp_path / "fresh"
    fresh_runner = CliRunner(env={"LICMON_CONFIG": ""})
    result = fresh_runner.invoke(main, ["restore", str(copy), "--data-dir", str(fresh)])
    assert result.exit_code == 1 and "--key-file" in result.output  # no key: a clear refusal
    key = tmp_path / "data" / "backup.key"
    result = fresh_runner.invoke(
        main, ["restore", str(copy), "--data-dir", str(fresh), "--key-file", str(key)]
    )
    assert result.exit_code == 0, result.output
    assert "pepper" in result.output  # the keys need the pepper that made them
    assert fresh.stat().st_mode & 0o777 == 0o700
    assert (fresh / "licmon.db").stat().st_mode & 0o777 == 0o600


# -- under load, with a real server
async def _load(url: str, key: str, acknowledged: list[str], stop: asyncio.Event, w: int) -> None:
    async with aiohttp.ClientSession() as session:
        n = 0
        while not stop.is_set():
            machine = f"backup-load-{w:02d}-{n:06d}"
            n += 1
            async with session.post(url, json=checkin_body(key, machine)) as response:
                if response.status == 200:
                    acknowledged.append(machine)


async def _backup_under_load(port: int, key: str, data: Path, dest: Path) -> tuple[set[str], int]:
    acknowledged: list[str] = []
    stop = asyncio.Event()
    url = f"http://127.0.0.1:{port}/v1/checkin"
    workers = [asyncio.create_task(_load(url, key, acknowledged, stop, w)) for w in range(8)]
    await asyncio.sleep(1.0)
    before = set(acknowledged)  # each of these was answered, so committed, before the backup
    backup = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "licmon", "backup", str(dest), "--data-dir", str(data),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    _, err = await backup.communicate()
    during = len(acknowledged) - len(before)
    stop.set()
    await asyncio.gather(*workers)
    assert backup.returncode == 0, err.decode()
    return before, during


@pytest.mark.slow
def test_a_backup_under_load_restores_every_checkin_answered_before_it_began(
    tmp_path: Path,
) -> None:
    data, dest = tmp_path / "data", tmp_path / "backup.db"
    key = seed(data, seats=1_000_000)
    port = free_port()
    server = start(data, port)
    try:
        before, during = asyncio.run(_backup_under_load(port, key, data, dest))
        print(f"acknowledged before the backup: {len(before)}, during it: {during}")
        assert len(before) > 50, "the test must have seen real traffic"
        assert during > 0, "the server kept answering while the backup ran"
        running = _cli("restore", str(dest), "--data-dir", str(data))
        assert running.returncode == 1 and "stop it first" in running.stderr
    finally:
        server.send_signal(signal.SIGTERM)
        assert server.wait(30) == 0, log_path(data).read_text()
    served = seated_machines(data / "licmon.db")
    restored = _cli("restore", str(dest), "--data-dir", str(data))
    assert restored.returncode == 0, restored.stderr
    in_backup = seated_machines(data / "licmon.db")
    missing = before - in_backup
    assert not missing, f"{len(missing)} check-ins answered before the backup are missing"
    assert in_backup < served  # the restored database is the copy, not the live one
    again = start(data, port)  # and licmon runs on it
    again.terminate()
    assert again.wait(30) == 0


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LICMON_CONFIG": ""}
    return subprocess.run(
        [sys.executable, "-m", "licmon", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
