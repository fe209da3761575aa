"""Retention benchmark: fold 1,000,000 expired connection rows inside a serving licmon.

    python bench/retention.py [--rows 1000000] [--seconds 8] [--connections 16]

Seeds licenses and N expired connection rows, starts `licmon serve` with its hourly job
due a few seconds after start, measures check-in latency with wrk before the job starts
(baseline) and while it runs, in the same run, and prints rows folded per second and the
p99 ratio (target <= 1.5).
"""

import argparse
import asyncio
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from load import free_port, seed, wait_ready, write_keys_lua, wrk

MACHINES_PER_LICENSE = 10
FIRST_RUN_AFTER = 20


def fill_connections(database: Path, rows: int, licenses: int) -> None:
    """Expired rows: (license, machine) pairs over enough distant days to reach N rows."""
    conn = sqlite3.connect(database)
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO machines (license_id, fingerprint, first_seen, last_seen) VALUES (?,?,0,0)",
        (
            (lic, f"old-machine-{lic}-{m}")
            for lic in range(1, licenses + 1)
            for m in range(MACHINES_PER_LICENSE)
        ),
    )
    machines = licenses * MACHINES_PER_LICENSE
    days = [(date(2020, 1, 1) + timedelta(days=d)).isoformat() for d in range(-(-rows // machines))]
    conn.executemany(
        "INSERT INTO connections (license_id, machine_id, day, address, precision, country, "
        "first_seen, last_seen, checkins, denials, purpose, retain_until) "
        "VALUES (?, ?, ?, ?, 'full', 'SE', 0, 0, 3, 0, 'license.enforcement.checkin', 1)",
        (
            (
                1 + (i % machines) // MACHINES_PER_LICENSE,
                1 + i % machines,
                days[i // machines],
                f"198.51.{(i // 256) % 256}.{i % 256}",
            )
            for i in range(rows)
        ),
    )
    conn.commit()
    conn.close()


def running_since(database: Path) -> float | None:
    conn = sqlite3.connect(database)
    try:
        row = conn.execute(
            "SELECT started_at, finished_at FROM retention_runs ORDER BY id DESC LIMIT 1"
        ).fetchone()
    finally:
        conn.close()
    return None if row is None else (row[0] if row[1] is None else -1.0)


def finished(database: Path) -> tuple[int, int, int] | None:
    conn = sqlite3.connect(database)
    try:
        return conn.execute(
            "SELECT folded, finished_at - started_at, violations "
            "FROM retention_runs WHERE finished_at IS NOT NULL"
        ).fetchone()
    finally:
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--licenses", type=int, default=1000)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="licmon-retention-"))
    data = work / "data"
    keys = asyncio.run(seed(data, args.licenses, 1000))
    write_keys_lua(keys, work / "keys.lua")
    started = time.perf_counter()
    fill_connections(data / "licmon.db", args.rows, args.licenses)
    print(f"seeded {args.rows:,} expired rows in {time.perf_counter() - started:.0f}s")
    port = free_port()
    env = {**os.environ, "LICMON_RETENTION_INTERVAL_SECONDS": str(FIRST_RUN_AFTER)}
    server = subprocess.Popen(
        [sys.executable, "-m", "licmon", "serve", "--data-dir", str(data), "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        measure(args, work, port, data / "licmon.db")
    finally:
        server.terminate()
        server.wait(60)


def measure(args: argparse.Namespace, work: Path, port: int, database: Path) -> None:
    url = f"http://127.0.0.1:{port}"
    wait_ready(url + "/readyz")
    baseline = wrk(url, args.seconds, args.connections, work / "keys.lua")
    while running_since(database) is None:
        time.sleep(0.2)
    during = wrk(url, args.seconds, args.connections, work / "keys.lua")
    still_running = running_since(database) not in (None, -1.0)
    while (result := finished(database)) is None:
        time.sleep(0.5)
    folded, seconds, violations = result
    print("\n| phase | check-ins/s | p50 ms | p99 ms |\n| --- | ---: | ---: | ---: |")
    for name, run in (("without retention", baseline), ("during retention", during)):
        print(f"| {name} | {run['rps']:,.0f} | {run['p50_ms']:.2f} | {run['p99_ms']:.2f} |")
    print(
        f"\nretention: {folded:,} rows folded in {seconds}s = {folded / max(seconds, 1):,.0f} "
        f"rows/s, violations {violations}"
    )
    print(
        f"p99 ratio during/without: {during['p99_ms'] / baseline['p99_ms']:.2f} "
        f"(target <= 1.5){'' if still_running else '  [job ended before wrk did]'}"
    )


if __name__ == "__main__":
    main()
