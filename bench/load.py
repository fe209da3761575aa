"""Load benchmark: licmon against a bare aiohttp JSON echo server, same load, same run.

    python bench/load.py [--licenses 10000] [--seconds 15] [--connections 64] [--rounds 2]

Starts licmon (SQLite, synchronous=FULL: every answer is committed before it is sent) with
N licenses, and the echo baseline; drives both in turn with wrk (same connections, same
request mix of varied keys and machines); prints check-ins per second, the throughput ratio
licmon/echo, p50 and p99 latency of both, and licmon's peak memory.
"""

import argparse
import asyncio
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from statistics import median

from licmon.datadir import DataDir
from licmon.domain import license_keys
from licmon.domain.models import IpPrecision, LicenseTerms
from licmon.store.sqlite import SqliteStore

HERE = Path(__file__).resolve().parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def seed(data_dir: Path, licenses: int, seats: int) -> list[str]:
    pepper = DataDir(data_dir).ensure().pepper()
    store = SqliteStore(data_dir / "licmon.db", synchronous="NORMAL")
    await store.open()
    await store.add_org("bench", "Bench Ltd", IpPrecision.FULL, 60)
    await store.add_product("viewer", "Viewer")
    keys = [license_keys.generate() for _ in range(licenses)]
    terms = LicenseTerms(seats=seats, max_machines=2 * seats)
    await asyncio.gather(
        *(
            store.add_license("bench", "viewer", terms, license_keys.key_hash(pepper, key))
            for key in keys
        )
    )
    await store.close()
    return keys


def write_keys_lua(keys: list[str], path: Path) -> None:
    path.write_text("KEYS = {\n" + "".join(f'  "{k}",\n' for k in keys) + "}\n")


def wait_ready(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except urllib.error.HTTPError:
            return  # it answers: up
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"server at {url} did not come up")


def wrk(url: str, seconds: int, connections: int, keys_lua: Path) -> dict[str, float]:
    env = {"LICMON_BENCH_KEYS": str(keys_lua), "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-s", str(HERE / "checkin.lua"), url],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    bench = dict(re.findall(r"(\w+)=(\d+)", out.split("BENCH", 1)[1]))
    return {
        "rps": rps,
        "p50_ms": int(bench["p50_us"]) / 1000,
        "p99_ms": int(bench["p99_us"]) / 1000,
        "requests": int(bench["requests"]),
        "errors": int(bench["errors"]),
    }


def peak_rss_mib(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    kib = int(re.search(r"VmHWM:\s+(\d+)", status).group(1))  # type: ignore[union-attr]
    return kib / 1024


def start(cmd: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--licenses", type=int, default=10_000)
    parser.add_argument("--seats", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")
    work = Path(tempfile.mkdtemp(prefix="licmon-bench-"))
    keys = asyncio.run(seed(work / "data", args.licenses, args.seats))
    write_keys_lua(keys, work / "keys.lua")
    lic_port, echo_port = free_port(), free_port()
    licmon = start(
        [
            sys.executable,
            "-m",
            "licmon",
            "serve",
            "--data-dir",
            str(work / "data"),
            "--port",
            str(lic_port),
        ]
    )
    echo = start([sys.executable, str(HERE / "echo_server.py"), str(echo_port)])
    try:
        run(args, work, lic_port, echo_port, licmon.pid)
    finally:
        for proc in (licmon, echo):
            proc.terminate()
            proc.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


def run(args: argparse.Namespace, work: Path, lic_port: int, echo_port: int, pid: int) -> None:
    wait_ready(f"http://127.0.0.1:{lic_port}/readyz")
    wait_ready(f"http://127.0.0.1:{echo_port}/v1/checkin")
    urls = {"licmon": f"http://127.0.0.1:{lic_port}", "echo": f"http://127.0.0.1:{echo_port}"}
    for url in urls.values():
        wrk(url, 2, args.connections, work / "keys.lua")  # warm-up
    results: dict[str, list[dict[str, float]]] = {"licmon": [], "echo": []}
    for _ in range(args.rounds):
        for name, url in urls.items():
            results[name].append(wrk(url, args.seconds, args.connections, work / "keys.lua"))
    report(results, peak_rss_mib(pid), args)


def report(
    results: dict[str, list[dict[str, float]]], rss: float, args: argparse.Namespace
) -> None:
    def med(name: str, field: str) -> float:
        return median(r[field] for r in results[name])

    lic_rps, echo_rps = med("licmon", "rps"), med("echo", "rps")
    print(
        f"\nlicmon load benchmark: {args.licenses} licenses, {args.connections} connections, "
        f"{args.rounds} x {args.seconds}s per server, median of rounds"
    )
    print("| server | requests/s | p50 ms | p99 ms | non-2xx |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name in ("licmon", "echo"):
        errors = sum(r["errors"] for r in results[name])
        print(
            f"| {name} | {med(name, 'rps'):,.0f} | {med(name, 'p50_ms'):.2f} | "
            f"{med(name, 'p99_ms'):.2f} | {errors:.0f} |"
        )
    print(f"\nthroughput ratio licmon/echo: {lic_rps / echo_rps:.2f}  (target >= 0.6)")
    print(
        f"p99 ratio licmon/echo: {med('licmon', 'p99_ms') / med('echo', 'p99_ms'):.2f}  "
        "(target <= 2.0)"
    )
    print(f"licmon peak memory (VmHWM): {rss:.0f} MiB")


if __name__ == "__main__":
    main()
