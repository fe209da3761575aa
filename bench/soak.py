"""Soak benchmark (bounded, loopback): resident memory per 100k check-ins, and the time to
the first answer after a restart with a long connection log, each against a baseline taken
in the same run.

    python bench/soak.py [--checkins 30000] [--machines 20000] [--log-rows 1000000]

1. Starts `licmon serve` (default settings) on a fresh data directory with one license,
   reads its RSS once ready (the baseline), drives --checkins check-ins over --machines
   machines (fresh nonces, 32 at a time), reads RSS again: the growth per 100k check-ins.
2. Stops it, times a restart on the same directory until /healthz answers (the baseline),
   writes --log-rows connection rows of the last day straight into the database, and times
   a restart again: the ratio is what the long log costs.
"""

import argparse
import asyncio
import base64
import os
import secrets
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.serverproc import free_port, seed


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def cpu_seconds(pid: int) -> float:
    """User and system CPU time the process used so far: what a start-up costs, whatever
    else the machine runs."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start(data: Path, port: int) -> tuple[subprocess.Popen[bytes], float]:
    began = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "licmon", "serve", "--data-dir", str(data), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={"LICMON_CONFIG": "", "PATH": "/usr/bin:/bin"},
    )
    url = f"http://127.0.0.1:{port}/healthz"
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return proc, time.perf_counter() - began
        except (urllib.error.URLError, OSError):
            if proc.poll() is not None:
                raise SystemExit("server exited") from None
            time.sleep(0.02)


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    proc.wait(30)


async def drive(port: int, key: str, checkins: int, machines: int) -> None:
    url = f"http://127.0.0.1:{port}/v1/checkin"
    queue = iter(range(checkins))

    async def worker(session: aiohttp.ClientSession) -> None:
        for i in queue:
            nonce = base64.urlsafe_b64encode(secrets.token_bytes(16)).rstrip(b"=").decode()
            body = {
                "key": key,
                "product": "viewer",
                "machine": f"soak-{i % machines:08d}",
                "nonce": nonce,
            }
            async with session.post(url, json=body) as response:
                await response.read()

    async with aiohttp.ClientSession() as session:
        await asyncio.gather(*(worker(session) for _ in range(32)))


def write_log_rows(database: Path, rows: int) -> None:
    now = int(time.time())
    day = time.strftime("%Y-%m-%d", time.gmtime(now))
    conn = sqlite3.connect(database)
    (license_id,) = conn.execute("SELECT min(id) FROM licenses").fetchone()
    machines = max(1, rows // 5)
    conn.executemany(
        "INSERT OR IGNORE INTO machines (license_id, fingerprint, first_seen, last_seen) "
        "VALUES (?, ?, ?, ?)",
        ((license_id, f"log-{m:08d}", now, now) for m in range(machines)),
    )
    ids = [r[0] for r in conn.execute("SELECT id FROM machines WHERE fingerprint LIKE 'log-%'")]
    conn.executemany(
        "INSERT OR IGNORE INTO connections (license_id, machine_id, day, address, precision, "
        "first_seen, last_seen, checkins, purpose, retain_until) "
        "VALUES (?, ?, ?, ?, 'full', ?, ?, 1, 'license.enforcement.checkin', ?)",
        (
            (
                license_id,
                ids[i % len(ids)],
                day,
                f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}",
                now - 3600,
                now - 60,
                now + 60 * 86400,
            )
            for i in range(rows)
        ),
    )
    conn.commit()
    conn.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--checkins", type=int, default=30000)
    parser.add_argument("--machines", type=int, default=20000)
    parser.add_argument("--log-rows", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        key = seed(data, seats=args.machines)
        port = free_port()
        proc, _ = start(data, port)
        base = rss_mb(proc.pid)
        began = time.perf_counter()
        asyncio.run(drive(port, key, args.checkins, args.machines))
        seconds = time.perf_counter() - began
        after = rss_mb(proc.pid)
        stop(proc)
        per_100k = (after - base) / args.checkins * 100_000
        print(f"check-ins: {args.checkins} over {args.machines} machines in {seconds:.1f} s")
        print(f"RSS: {base:.0f} MB idle -> {after:.0f} MB; {per_100k:.0f} MB per 100k check-ins")
        proc, baseline = start(data, free_port())
        cpu_short = cpu_seconds(proc.pid)
        stop(proc)
        write_log_rows(data / "licmon.db", args.log_rows)
        proc, long_log = start(data, free_port())
        cpu_long = cpu_seconds(proc.pid)
        rss_long = rss_mb(proc.pid)
        stop(proc)
        print(
            f"first answer after restart: {baseline:.2f} s, {cpu_short:.2f} CPU s (short log); "
            f"{long_log:.2f} s, {cpu_long:.2f} CPU s with {args.log_rows} more log rows "
            f"(ratio {long_log / baseline:.2f}); RSS then {rss_long:.0f} MB"
        )


if __name__ == "__main__":
    main()
