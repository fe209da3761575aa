"""`licmon serve --workers N`: real processes on one loopback port (SO_REUSEPORT) over a
real PostgreSQL; refused with one line on SQLite; a killed worker is replaced; SIGTERM to
the parent drains and stops every worker, exit code 0."""

import asyncio
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from licmon.datadir import DataDir
from licmon.domain import license_keys
from licmon.domain.models import IpPrecision, LicenseTerms
from licmon.store.postgres.store import PostgresStore
from tests.conftest import checkin_body
from tests.pg import PgCluster
from tests.serverproc import free_port, wait_ready

pytestmark = pytest.mark.slow
WORKERS = 2


def serve_command(data_dir: Path, port: int, workers: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "licmon",
        "serve",
        "--data-dir",
        str(data_dir),
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]


def clean_env(**settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LICMON_")}
    return {**env, "LICMON_CONFIG": "", **settings}


def test_sqlite_refuses_more_than_one_worker(tmp_path: Path) -> None:
    done = subprocess.run(
        serve_command(tmp_path / "data", free_port(), 2),
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert done.stderr.strip().splitlines() == [
        "Error: --workers above 1 needs PostgreSQL (database_url): on SQLite one process is "
        "the single writer"
    ]


def children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[1]) == pid and fields[0] != "Z":
                found.add(int(entry.name))
    return found


def listening_inodes(port: int) -> set[str]:
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            cols = line.split()
            if cols[3] == "0A" and int(cols[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(cols[9])
    return inodes


def listens(pid: int, port: int) -> bool:
    wanted = {f"socket:[{inode}]" for inode in listening_inodes(port)}
    fds = Path(f"/proc/{pid}/fd")
    try:
        return any(os.readlink(fd) in wanted for fd in fds.iterdir())
    except OSError:
        return False


def wait_for(condition: object, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise TimeoutError("condition not met")


def listening_workers(server: subprocess.Popen[bytes], port: int) -> set[int]:
    return {pid for pid in children(server.pid) if listens(pid, port)}


def checkin(port: int, key: str, machine: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        body = json.dumps(checkin_body(key, machine))
        conn.request("POST", "/v1/checkin", body, {"Content-Type": "application/json"})
        return conn.getresponse().status
    finally:
        conn.close()


@dataclass
class Running:
    server: subprocess.Popen[bytes]
    port: int
    key: str
    metrics_port: int


def free_ports(count: int) -> int:
    """The first of ``count`` consecutive free ports."""
    while True:
        first = free_port()
        try:
            for offset in range(count):
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", first + offset))
        except OSError:
            continue
        return first


async def _seed(url: str, pepper: bytes) -> str:
    store = PostgresStore(url, pool_size=2)
    await store.open()
    try:
        await store.add_org("acme", "Acme", IpPrecision.FULL, 60)
        await store.add_product("viewer", "Viewer")
        key = license_keys.generate()
        terms = LicenseTerms(seats=1000, max_machines=1000)
        await store.add_license("acme", "viewer", terms, license_keys.key_hash(pepper, key))
        return key
    finally:
        await store.close()


@pytest.fixture
def workers(tmp_path: Path, pg_cluster: PgCluster) -> Iterator[Running]:
    url, data_dir, port = pg_cluster.fresh_database(), tmp_path / "data", free_port()
    key = asyncio.run(_seed(url, DataDir(data_dir).ensure().pepper()))
    metrics_port = free_ports(WORKERS)
    env = clean_env(
        LICMON_DATABASE_URL=url,
        LICMON_SHUTDOWN_DRAIN_SECONDS="0.5",
        LICMON_METRICS_PORT=str(metrics_port),
    )
    with (tmp_path / "server.log").open("ab") as log:
        server = subprocess.Popen(
            serve_command(data_dir, port, WORKERS), stdout=log, stderr=log, env=env
        )
    try:
        wait_ready(f"http://127.0.0.1:{port}/readyz", server, 120)
        wait_for(lambda: len(listening_workers(server, port)) == WORKERS)
        yield Running(server, port, key, metrics_port)
    finally:
        stop_all(server)


def stop_all(server: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the parent (it stops its workers); SIGKILL to all when that fails."""
    if server.poll() is not None:
        return
    server.terminate()
    try:
        server.wait(timeout=60)
    except subprocess.TimeoutExpired:
        for pid in children(server.pid):
            os.kill(pid, signal.SIGKILL)
        server.kill()
        server.wait(timeout=30)


def test_every_worker_listens_on_the_port_and_answers(workers: Running) -> None:
    assert not listens(workers.server.pid, workers.port)  # the parent only supervises
    statuses = [checkin(workers.port, workers.key, f"machine-{n:04d}") for n in range(40)]
    assert statuses == [200] * 40


def test_each_worker_serves_its_metrics_on_a_port_of_its_own(workers: Running) -> None:
    for offset in range(WORKERS):
        url = f"http://127.0.0.1:{workers.metrics_port + offset}/metrics"
        with urllib.request.urlopen(url, timeout=10) as answer:
            assert b"licmon_http_requests" in answer.read()


def test_a_killed_worker_is_replaced(workers: Running) -> None:
    before = listening_workers(workers.server, workers.port)
    victim = min(before)
    os.kill(victim, signal.SIGKILL)
    wait_for(
        lambda: (
            (now := listening_workers(workers.server, workers.port))
            and len(now) == 2
            and victim not in now
        )
    )
    assert workers.server.poll() is None
    assert [checkin(workers.port, workers.key, f"machine-{n:04d}") for n in range(10)] == [200] * 10


def test_sigterm_to_the_parent_stops_every_worker_cleanly(workers: Running) -> None:
    pids = listening_workers(workers.server, workers.port)
    workers.server.send_signal(signal.SIGTERM)
    assert workers.server.wait(timeout=60) == 0
    assert len(pids) == WORKERS
    assert [pid for pid in pids if Path(f"/proc/{pid}").exists()] == []  # reaped: gone


def test_workers_stop_themselves_when_the_parent_is_killed(workers: Running) -> None:
    pids = listening_workers(workers.server, workers.port)
    workers.server.kill()
    workers.server.wait(timeout=30)
    wait_for(lambda: not any(Path(f"/proc/{pid}/fd").exists() for pid in pids), timeout=60)
