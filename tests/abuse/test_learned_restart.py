"""A restart does not reset what the detectors learned (issue 15): real `licmon serve`
processes, one restarted between the lessons and the test, one not; both must raise the
same flags (a learned clock offset jumping), and stay quiet alike (a clock constantly off).
"""

import base64
import json
import os
import signal
import sqlite3
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests import serverproc

HOUR = 3600


def checkin(port: int, key: str, machine: str, skew: int) -> int:
    client_time = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + skew))
    body = {
        "key": key,
        "product": "viewer",
        "machine": machine,
        "nonce": base64.urlsafe_b64encode(os.urandom(16)).rstrip(b"=").decode(),
        "client_time": client_time,
    }
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/v1/checkin",
        json.dumps(body).encode(),
        {"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def clock_flags(database: Path, wait: float = 3.0) -> int:
    deadline = time.monotonic() + wait
    while True:
        conn = sqlite3.connect(database)
        try:
            (count,) = conn.execute(
                "SELECT count(*) FROM flags WHERE kind = 'clock_tampering'"
            ).fetchone()
        finally:
            conn.close()
        if count or time.monotonic() > deadline:
            return int(count)
        time.sleep(0.1)


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=20) == 0


def lessons_then_test(data_dir: Path, restart: bool) -> tuple[int, int]:
    """Machine ``steady`` learns a right clock, ``zoned`` one five hours ahead (a time zone
    set wrong); then, maybe after a restart, ``steady`` is set back 23 hours (inside the
    one-day absolute tolerance: only the learned offset sees it) and ``zoned`` stays as it
    was. Returns the clock flags after the quiet check-in, then after the jump."""
    key = serverproc.seed(data_dir, seats=5)
    port = serverproc.free_port()
    proc = serverproc.start(data_dir, port)
    for _ in range(4):
        assert checkin(port, key, "steady-0001", 0) == 200
        assert checkin(port, key, "zoned-0001", 5 * HOUR) == 200
    if restart:
        stop(proc)
        proc = serverproc.start(data_dir, port)
        time.sleep(1.5)  # the rebuild attaches the detectors
    assert checkin(port, key, "zoned-0001", 5 * HOUR) == 200
    quiet = clock_flags(data_dir / "licmon.db", wait=1.0)
    assert checkin(port, key, "steady-0001", -23 * HOUR) == 200
    jumped = clock_flags(data_dir / "licmon.db")
    stop(proc)
    return quiet, jumped


def test_a_restart_raises_and_withholds_the_same_flags(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LICMON_LEARNED_SAVE_SECONDS", "3600")  # only the shutdown saves
    straight = lessons_then_test(tmp_path / "straight" / "data", restart=False)
    restarted = lessons_then_test(tmp_path / "restarted" / "data", restart=True)
    assert straight == (0, 1)
    assert restarted == straight
