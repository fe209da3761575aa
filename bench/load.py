"""Load benchmark: licmon against a bare aiohttp JSON echo server, same load, same run.

    python bench/load.py [--licenses 10000] [--site-seats 20000] [--workers 2]
                         [--seconds 15] [--connections 64] [--rounds 2] [--no-postgres]

Every configuration is driven in turn by wrk (same connections, same request mix of varied
keys and machines, bench/checkin.lua), round after round, and reported against the echo of
the same run:

- echo: the bare aiohttp JSON echo on asyncio's loop (the baseline of every ratio), and the
  same echo on uvloop (shown, so the gain licmon takes from its loop is visible);
- small: `licmon serve` on SQLite (synchronous=FULL: every answer is committed before it is
  sent), N licenses of 5 seats;
- site: the same on one site license with ``--site-seats`` seats in use (seeded through the
  store before the run; the measured check-ins renew seats of that license);
- PostgreSQL, 1 worker and ``--workers`` workers (`licmon serve --workers N`, one port,
  SO_REUSEPORT), on a temporary PostgreSQL with fsync on (tests/pg.py), N licenses.

Prints check-ins per second, p50 and p99, the ratios against the echo, site/small, peak
memory (VmHWM, every process of a configuration summed) and restart times: stop (SIGTERM,
drain) and start until /readyz answers, and, with workers, how long a killed worker takes
to be replaced and listening again.
"""

import argparse
import asyncio
import ipaddress
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median

from licmon.datadir import DataDir
from licmon.domain import license_keys
from licmon.domain.checkin import checkin_command
from licmon.domain.models import CheckinRequest, GeoInfo, IpPrecision, LicenseTerms
from licmon.store.sqlite import SqliteStore

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SEED_ADDRESS = ipaddress.ip_address("192.0.2.10")
SEED_BATCH = 512
SITE_LEASE_SECONDS = 6 * 3600  # the seeded seats stay in use through the run
EVENT_LOOP = os.environ.get("BENCH_EVENT_LOOP", "uvloop")  # licmon's event_loop setting


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


async def seed_site(data_dir: Path, seats_in_use: int) -> list[str]:
    """One site license with ``seats_in_use`` seats taken by other machines (check-ins
    through the store), room for the run's own machines; its key."""
    pepper = DataDir(data_dir).ensure().pepper()
    store = SqliteStore(data_dir / "licmon.db", synchronous="NORMAL")
    await store.open()
    await store.add_org("bench", "Bench Ltd", IpPrecision.FULL, 60)
    await store.add_product("viewer", "Viewer")
    key = license_keys.generate()
    seats = seats_in_use + 1000
    terms = LicenseTerms(seats=seats, max_machines=2 * seats, lease_seconds=SITE_LEASE_SECONDS)
    lic = await store.add_license("bench", "viewer", terms, license_keys.key_hash(pepper, key))
    now = int(time.time())
    for start in range(0, seats_in_use, SEED_BATCH):
        batch = []
        for n in range(start, min(start + SEED_BATCH, seats_in_use)):
            req = CheckinRequest(key, "viewer", f"site-seat-{n:06d}", "A" * 22)
            command = checkin_command(lic, req, SEED_ADDRESS, GeoInfo(), now, f"seed-{n:012d}-x")
            batch.append(store.checkin(command))
        await asyncio.gather(*batch)
    usage = await store.license_usage(lic.id)
    await store.close()
    print(f"site license seeded: {usage.seats_in_use} seats in use", flush=True)
    return [key]


async def seed_postgres(data_dir: Path, url: str, licenses: int, seats: int) -> list[str]:
    from licmon.app import open_store, prepare_store  # noqa: PLC0415
    from licmon.config import Settings  # noqa: PLC0415

    settings = Settings(data_dir=data_dir, database_url=url)
    pepper = DataDir(data_dir).ensure().pepper()
    prepare_store(settings)
    store = open_store(settings)
    await store.open()
    await store.add_org("bench", "Bench Ltd", IpPrecision.FULL, 60)
    await store.add_product("viewer", "Viewer")
    keys = [license_keys.generate() for _ in range(licenses)]
    terms = LicenseTerms(seats=seats, max_machines=2 * seats)
    for key in keys:
        await store.add_license("bench", "viewer", terms, license_keys.key_hash(pepper, key))
    await store.close()
    return keys


def write_keys_lua(keys: list[str], path: Path) -> None:
    path.write_text("KEYS = {\n" + "".join(f'  "{k}",\n' for k in keys) + "}\n")


def wait_ready(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except urllib.error.HTTPError:
            return  # it answers: up
        except OSError:
            time.sleep(0.02)
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


def start(cmd: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                found.append(int(entry.name))
    return found


def listens(pid: int, port: int) -> bool:
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        cols = line.split()
        if cols[3] == "0A" and int(cols[1].rsplit(":", 1)[1], 16) == port:
            inodes.add(f"socket:[{cols[9]}]")
    try:
        return any(os.readlink(fd) in inodes for fd in Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return False


@dataclass
class Target:
    """A running configuration: its URL, its processes and the keys its load uses."""

    name: str
    keys_lua: Path
    port: int
    launch: Callable[[], subprocess.Popen[bytes]]
    workers: int = 0  # licmon serve --workers N: its N children serve
    proc: subprocess.Popen[bytes] | None = None
    restart: dict[str, float] = field(default_factory=dict)
    peak: float = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def up(self, ready_path: str = "/readyz") -> None:
        self.proc = self.launch()
        wait_ready(self.url + ready_path)
        if self.workers:
            self.wait_workers()

    def wait_workers(self, timeout: float = 60) -> list[int]:
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            serving = [p for p in children(self.proc.pid) if listens(p, self.port)]
            if len(serving) == self.workers:
                return serving
            time.sleep(0.01)
        raise SystemExit(f"{self.name}: the workers did not come up")

    def peak_mib(self) -> float:
        assert self.proc is not None
        return sum(peak_rss_mib(p) for p in [self.proc.pid, *children(self.proc.pid)])

    def down(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=60)

    def measure_restart(self) -> None:
        """Stop (SIGTERM, drain) and start until /readyz answers; with workers, also a
        killed worker's replacement until it listens."""
        began = time.monotonic()
        self.down()
        stopped = time.monotonic()
        self.up()
        self.restart = {"stop_s": stopped - began, "start_s": time.monotonic() - stopped}
        if self.workers:
            assert self.proc is not None
            victim = min(children(self.proc.pid))
            began = time.monotonic()
            os.kill(victim, signal.SIGKILL)
            while victim in self.wait_workers():
                time.sleep(0.01)
            self.restart["worker_s"] = time.monotonic() - began


def licmon_command(data_dir: Path, port: int, workers: int = 1) -> list[str]:
    return [sys.executable, "-m", "licmon", "serve", *serve_args(data_dir, port, workers)]


def serve_args(data_dir: Path, port: int, workers: int = 1) -> list[str]:
    """What follows ``licmon serve``."""
    args = ["--data-dir", str(data_dir), "--port", str(port)]
    return [*args, *(["--workers", str(workers)] if workers > 1 else [])]


def licmon_env(**settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LICMON_")}
    return {**env, "LICMON_CONFIG": "", **{f"LICMON_{k.upper()}": v for k, v in settings.items()}}


def targets(args: argparse.Namespace, work: Path, stack: ExitStack) -> list[Target]:
    found = [echo_target(work, "echo", []), echo_target(work, "echo on uvloop", ["--uvloop"])]
    small = asyncio.run(seed(work / "small", args.licenses, args.seats))
    found.append(licmon_target(work, "small licenses, SQLite", small, work / "small"))
    write_keys_lua(small, work / "echo.lua")
    site = asyncio.run(seed_site(work / "site", args.site_seats))
    found.append(licmon_target(work, f"site license ({args.site_seats:,} seats), SQLite", site,
                               work / "site"))  # fmt: skip
    if args.postgres:
        url = stack.enter_context(postgres_database())
        keys = asyncio.run(seed_postgres(work / "pg", url, args.licenses, args.seats))
        for count in (1, args.workers):
            name = f"small licenses, PostgreSQL, {count} worker{'s' if count > 1 else ''}"
            found.append(licmon_target(work, name, keys, work / "pg", count, url))
    return found


def echo_target(work: Path, name: str, flags: list[str]) -> Target:
    port = free_port()
    command = [sys.executable, str(HERE / "echo_server.py"), str(port), *flags]
    return Target(name, work / "echo.lua", port, lambda: start(command))


def licmon_target(
    work: Path,
    name: str,
    keys: list[str],
    data_dir: Path,
    workers: int = 0,
    database_url: str = "",
) -> Target:
    slug = re.sub(r"\W+", "-", name)
    lua = work / f"keys-{slug}.lua"
    write_keys_lua(keys, lua)
    if database_url:  # one data directory per server (its lock), the same pepper
        data_dir = Path(shutil.copytree(data_dir, work / slug))
    port = free_port()
    env = licmon_env(
        event_loop=EVENT_LOOP, **({"database_url": database_url} if database_url else {})
    )
    command = licmon_command(data_dir, port, max(workers, 1))
    supervised = workers if workers > 1 else 0
    return Target(name, lua, port, lambda: start(command, env), workers=supervised)


@contextmanager
def postgres_database() -> Iterator[str]:
    """A temporary PostgreSQL (tests/pg.py) as durable as synchronous=FULL: fsync on."""
    sys.path.insert(0, str(ROOT))
    from tests.pg import PgCluster  # noqa: PLC0415

    root = Path(tempfile.mkdtemp(prefix="licmon-bench-pg-"))
    server = PgCluster(root)
    server.start()
    try:
        server.admin(
            "ALTER SYSTEM SET fsync = on",
            "ALTER SYSTEM SET full_page_writes = on",
            "SELECT pg_reload_conf()",
        )
        yield server.empty_database()
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--licenses", type=int, default=10_000)
    parser.add_argument("--seats", type=int, default=5)
    parser.add_argument("--site-seats", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--no-postgres", dest="postgres", action="store_false")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")
    work = Path(tempfile.mkdtemp(prefix="licmon-bench-"))
    try:
        with ExitStack() as stack:
            found = targets(args, work, stack)
            for target in found:
                stack.callback(target.down)
                target.up("/readyz" if target.keys_lua.name != "echo.lua" else "/v1/checkin")
            report(run(args, found), found, args)
    finally:
        shutil.rmtree(work, ignore_errors=True)


Results = dict[str, list[dict[str, float]]]


def run(args: argparse.Namespace, found: list[Target]) -> Results:
    for target in found:
        wrk(target.url, 2, args.connections, target.keys_lua)  # warm-up
    results: Results = {target.name: [] for target in found}
    for _ in range(args.rounds):
        for target in found:
            results[target.name].append(
                wrk(target.url, args.seconds, args.connections, target.keys_lua)
            )
    for target in found:
        target.peak = target.peak_mib()
        if target.keys_lua.name != "echo.lua" and "site" not in target.name:
            target.measure_restart()
    return results


def report(results: Results, found: list[Target], args: argparse.Namespace) -> None:
    def med(name: str, field: str) -> float:
        return median(r[field] for r in results[name])

    echo_rps, echo_p99 = med("echo", "rps"), med("echo", "p99_ms")
    print(
        f"\nlicmon load benchmark: {args.licenses} licenses of {args.seats} seats, a site "
        f"license with {args.site_seats:,} seats in use, {args.connections} connections, "
        f"{args.rounds} x {args.seconds}s per configuration, median of rounds, "
        f"{os.cpu_count()} cores"
    )
    print(
        "| configuration | requests/s | p50 ms | p99 ms | /echo rps | /echo p99 | "
        "peak MiB | restart s | non-2xx |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for target in found:
        name = target.name
        errors = sum(r["errors"] for r in results[name])
        print(
            f"| {name} | {med(name, 'rps'):,.0f} | {med(name, 'p50_ms'):.2f} | "
            f"{med(name, 'p99_ms'):.2f} | {med(name, 'rps') / echo_rps:.2f} | "
            f"{med(name, 'p99_ms') / echo_p99:.2f} | {target.peak:.0f} | "
            f"{_restart_text(target)} | {errors:.0f} |"
        )
    small, site = found[2].name, found[3].name
    print(f"\nsite/small throughput: {med(site, 'rps') / med(small, 'rps'):.2f}  (target >= 0.8)")
    print("targets: throughput >= 0.6 x echo, p99 <= 2 x echo (small licenses)")
    print("restart: stop (SIGTERM, drain) + start until /readyz; w: a killed worker replaced")


def _restart_text(target: Target) -> str:
    if not target.restart:
        return "-"
    text = f"{target.restart['stop_s']:.1f} + {target.restart['start_s']:.1f}"
    return text + (f" (w {target.restart['worker_s']:.1f})" if "worker_s" in target.restart else "")


if __name__ == "__main__":
    main()
