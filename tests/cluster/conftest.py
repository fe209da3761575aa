"""A real PostgreSQL for the several-node tests (interim: until tests/pg.py lands)."""

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.serverproc import free_port

BIN = Path("/usr/lib/postgresql/15/bin")


def _as_postgres(*args: str) -> None:
    user = pwd.getpwnam("postgres")
    subprocess.run(
        args, check=True, capture_output=True, timeout=60,
        user=user.pw_uid if os.geteuid() == 0 else None,
    )  # fmt: skip


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    if not (BIN / "initdb").exists():
        pytest.skip("PostgreSQL 15 missing (Debian package postgresql)")
    root = Path(tempfile.mkdtemp(prefix="licmon-pg-"))
    os.chmod(root, 0o777)
    data, port = root / "data", free_port()
    _as_postgres(str(BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "licmon")
    _as_postgres(
        str(BIN / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-w", "start",
        "-o", f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=on",
    )  # fmt: skip
    try:
        yield f"postgresql://licmon@127.0.0.1:{port}"
    finally:
        _as_postgres(str(BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def pg_url(pg_server: str) -> str:
    """An empty database of its own for the test."""
    name = f"t{time.monotonic_ns()}"
    with psycopg.connect(f"{pg_server}/postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return f"{pg_server}/{name}"
