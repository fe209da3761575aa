"""Several real `licmon serve` nodes on one database, with a real HAProxy in front running
deploy/haproxy.cfg itself; all on the loopback. Used by tests/cluster and bench/cluster.py.

Each node has its own data directory holding node a's pepper and signing key (copied, as
the README tells an operator to), and the database named by ``database_url``.
"""

import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from licmon.datadir import DataDir
from licmon.signing import generate_key
from tests.conftest import nonce
from tests.serverproc import free_port, wait_ready

ROOT = Path(__file__).resolve().parents[2]
HAPROXY_CFG = ROOT / "deploy" / "haproxy.cfg"


@dataclass
class Node:
    name: str
    data_dir: Path
    port: int
    env: dict[str, str]
    proc: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, *, timeout: float = 120) -> None:  # a loaded CI machine imports slowly
        log = (self.data_dir.parent / f"{self.name}.log").open("ab")
        with log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "licmon", "serve", "--port", str(self.port)],
                stdout=log,
                stderr=log,
                env=self.env,
            )
        wait_ready(f"http://{self.address}/readyz", self.proc, timeout)

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill9()

    def log_text(self) -> str:
        path = self.data_dir.parent / f"{self.name}.log"
        return path.read_text(errors="replace") if path.exists() else ""


def node_dirs(root: Path, names: tuple[str, ...], source: Path | None = None) -> list[Path]:
    """One data directory per node, each with the same pepper and signing key: those of
    ``source`` (made first when missing: the first node's), copied as an operator would."""
    first = DataDir(source or root / names[0] / "data").ensure()
    first.pepper()
    if not first.signing_dir.exists():
        first.signing_dir.mkdir(mode=0o700)
        generate_key(first.signing_dir)
    dirs = []
    for name in names:
        other = DataDir(root / name / "data").ensure()
        if other.root != first.root:
            shutil.copy2(first.pepper_path, other.pepper_path)
            shutil.copytree(first.signing_dir, other.signing_dir)
        dirs.append(other.root)
    return dirs


def node_env(data_dir: Path, database_url: str, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LICMON_")}
    env.update(
        LICMON_CONFIG="",
        LICMON_DATA_DIR=str(data_dir),
        LICMON_DATABASE_URL=database_url,
        LICMON_TRUSTED_PROXIES="127.0.0.1/32",  # HAProxy, on the loopback
        LICMON_CATALOG_POLL_SECONDS="1",
        LICMON_STAFF_SECOND_FACTOR_REQUIRED="false",
    )
    env.update({f"LICMON_{k.upper()}": v for k, v in settings.items()})
    return env


@dataclass
class HAProxy:
    listen: int
    stats: int
    nodes: list[Node]
    proc: subprocess.Popen[bytes] | None = None

    def start(self, workdir: Path) -> None:
        env = {
            **os.environ,
            "LICMON_LISTEN": f"127.0.0.1:{self.listen}",
            "LICMON_NODE_A": self.nodes[0].address,
            "LICMON_NODE_B": self.nodes[1].address,
            "LICMON_STATS": f"127.0.0.1:{self.stats}",
        }
        log = (workdir / "haproxy.log").open("ab")
        with log:
            self.proc = subprocess.Popen(
                ["haproxy", "-db", "-f", str(HAPROXY_CFG)], stdout=log, stderr=log, env=env
            )
        wait_ready(f"http://127.0.0.1:{self.listen}/readyz", self.proc, 60)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)

    def servers_up(self) -> dict[str, bool]:
        """Each node's state as HAProxy's exporter reports it."""
        conn = http.client.HTTPConnection("127.0.0.1", self.stats, timeout=5)
        conn.request("GET", "/metrics")
        text = conn.getresponse().read().decode()
        conn.close()
        up = {}
        for line in text.splitlines():
            if line.startswith("haproxy_server_status{") and 'state="UP"' in line:
                name = line.split('server="', 1)[1].split('"', 1)[0]
                up[name] = line.rsplit(" ", 1)[1] == "1"
        return up


@dataclass
class Cluster:
    nodes: list[Node]
    proxy: HAProxy
    database_url: str = ""

    @property
    def proxy_address(self) -> str:
        return f"127.0.0.1:{self.proxy.listen}"

    def stop(self) -> None:
        self.proxy.stop()
        for node in self.nodes:
            node.stop()


@contextmanager
def cluster(
    root: Path,
    database_url: str,
    names: tuple[str, ...] = ("a", "b"),
    source: Path | None = None,
    **settings: str,
) -> Iterator[Cluster]:
    dirs = node_dirs(root, names, source)
    nodes = [
        Node(name, d, free_port(), node_env(d, database_url, **settings))
        for name, d in zip(names, dirs, strict=True)
    ]
    proxy = HAProxy(free_port(), free_port(), nodes)
    running = Cluster(nodes, proxy, database_url)
    try:
        for node in nodes:  # one after the other: the first one migrates the database
            node.start()
        proxy.start(root)
        yield running
    finally:
        running.stop()


# -- clients
@dataclass
class Answer:
    status: int
    body: dict[str, Any]
    at: float


def checkin(
    conn: http.client.HTTPConnection,
    key: str,
    machine: str,
    headers: dict[str, str] | None = None,
) -> Answer:
    body = json.dumps({"key": key, "product": "viewer", "machine": machine, "nonce": nonce()})
    try:
        conn.request(
            "POST", "/v1/checkin", body, {"Content-Type": "application/json", **(headers or {})}
        )
        response = conn.getresponse()
        raw = response.read()
    except (OSError, http.client.HTTPException):
        conn.close()  # reconnects at the next request
        return Answer(0, {}, time.monotonic())
    try:
        parsed = json.loads(raw) if raw else {}
    except ValueError:
        parsed = {}
    return Answer(response.status, parsed, time.monotonic())


def metric(conn: http.client.HTTPConnection, name: str) -> float:
    """One unlabelled sample of a node's /metrics (0 when it has none yet)."""
    conn.request("GET", "/metrics")
    text = conn.getresponse().read().decode()
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return 0.0


def connect(address: str) -> http.client.HTTPConnection:
    host, port = address.rsplit(":", 1)
    return http.client.HTTPConnection(host, int(port), timeout=10)


@dataclass
class Load:
    """Threads checking in unique machines through one address until stopped; every
    answer kept (machine, status, when)."""

    address: str
    key: str
    threads: int = 8
    answers: list[tuple[str, Answer]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _workers: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        for t in range(self.threads):
            worker = threading.Thread(target=self._run, args=(t,), daemon=True)
            worker.start()
            self._workers.append(worker)

    def stop(self) -> None:
        self._stop.set()
        for worker in self._workers:
            worker.join(timeout=30)

    def _run(self, thread: int) -> None:
        conn = connect(self.address)
        n = 0
        while not self._stop.is_set():
            machine = f"load-{thread:02d}-{n:06d}"
            answer = checkin(conn, self.key, machine)
            with self._lock:
                self.answers.append((machine, answer))
            n += 1
        conn.close()

    def granted(self) -> set[str]:
        return {m for m, a in self.answers if a.status == 200}
