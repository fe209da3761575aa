"""A real `licmon serve` in a child process, for crash, shutdown and load tests."""

import asyncio
import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from licmon.datadir import DataDir
from licmon.domain import license_keys
from licmon.domain.models import IpPrecision, LicenseTerms
from licmon.store.sqlite import SqliteStore


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def seed(data_dir: Path, seats: int = 1000) -> str:
    """An org, a product and one license; returns its key."""

    async def run() -> str:
        pepper = DataDir(data_dir).ensure().pepper()
        store = SqliteStore(data_dir / "licmon.db")
        await store.open()
        await store.add_org("acme", "Acme", IpPrecision.FULL, 60)
        await store.add_product("viewer", "Viewer")
        key = license_keys.generate()
        await store.add_license(
            "acme",
            "viewer",
            LicenseTerms(seats=seats, max_machines=seats),
            license_keys.key_hash(pepper, key),
        )
        await store.close()
        return key

    return asyncio.run(run())


def start(data_dir: Path, port: int, *extra: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "LICMON_CONFIG": ""}
    with log_path(data_dir).open("ab") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "licmon",
                "serve",
                "--data-dir",
                str(data_dir),
                "--port",
                str(port),
                *extra,
            ],
            stdout=log,
            stderr=log,
            env=env,
        )
    wait_ready(f"http://127.0.0.1:{port}/readyz", proc)
    return proc


def log_path(data_dir: Path) -> Path:
    return data_dir.parent / "server.log"


def wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.05)
    raise TimeoutError(url)


def seated_machines(database: Path) -> set[str]:
    conn = sqlite3.connect(database)
    try:
        rows = conn.execute(
            "SELECT m.fingerprint FROM seats s JOIN machines m ON m.id = s.machine_id"
        )
        return {row[0] for row in rows}
    finally:
        conn.close()
