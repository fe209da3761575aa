"""An initialized data directory that lost its database, pepper or signing key is refused
with one line; a damaged database is named with its cause; demo holds the server lock."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from licmon.cli.server import prepare_to_serve
from licmon.config import Settings
from licmon.serverlock import serving
from tests.serverproc import free_port


def licmon(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LICMON_CONFIG": ""}
    return subprocess.run(
        [sys.executable, "-m", "licmon", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=timeout,
    )


def serve(data: Path) -> subprocess.CompletedProcess[str]:
    return licmon("serve", "--data-dir", str(data), "--port", str(free_port()))


def initialized(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    assert licmon("init", "--data-dir", str(data)).returncode == 0
    assert (data / "initialized").exists()
    return data


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("lose", "named"),
    [
        ("pepper", "key pepper"),
        ("licmon.db", "database"),
        ("signing", "signing key"),
    ],
)
@pytest.mark.parametrize("how", ["delete", "empty"])
def test_a_lost_secret_or_database_is_refused(
    tmp_path: Path, lose: str, named: str, how: str
) -> None:
    data = initialized(tmp_path)
    pepper = (data / "pepper").read_bytes()
    target = data / lose
    files = sorted(target.glob("*.pem")) if target.is_dir() else [target]
    for path in files:
        if how == "delete":
            path.unlink()
        else:
            path.write_bytes(b"")
    line = one_line_error(serve(data))
    assert named in line and "restore it from a backup" in line
    assert str(data) in line
    if lose != "pepper":
        assert (data / "pepper").read_bytes() == pepper  # nothing was replaced
    else:
        assert not (data / "pepper").exists() or (data / "pepper").read_bytes() == b""


def test_serve_on_an_empty_directory_creates_everything(tmp_path: Path) -> None:
    data = tmp_path / "new"
    prepare_to_serve(Settings(data_dir=data))
    assert (data / "pepper").stat().st_size == 32
    assert list((data / "signing").glob("*.pem"))
    assert (data / "initialized").exists()


def test_a_damaged_database_names_the_file_and_the_cause(tmp_path: Path) -> None:
    data = initialized(tmp_path)
    (data / "licmon.db").write_bytes(b"this is not a database" * 100)
    for stale in ("licmon.db-wal", "licmon.db-shm"):
        (data / stale).unlink(missing_ok=True)
    line = one_line_error(serve(data))
    assert str(data / "licmon.db") in line
    assert "not a database" in line


def test_an_unreadable_database_names_the_file_and_the_cause(tmp_path: Path) -> None:
    data = initialized(tmp_path)
    db = data / "licmon.db"
    db.unlink()
    db.mkdir()  # a directory where the file should be: unreadable even for root
    line = one_line_error(serve(data))
    assert str(db) in line


def test_demo_takes_the_server_lock(tmp_path: Path) -> None:
    data = tmp_path / "demo"
    data.mkdir()
    with serving(data):
        result = licmon("demo", "--seconds", "1", "--data-dir", str(data))
    line = one_line_error(result)
    assert "another licmon serve is running" in line
