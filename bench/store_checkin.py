"""Check-ins per second through the store alone: a 5-seat license beside a site license
with 20,000 seats in use, on SQLite and PostgreSQL, for this tree and (``--baseline``)
another checkout, all in one run.

    python bench/store_checkin.py [--checkins 3000] [--site-seats 20000] [--concurrency 64]
        [--repeat 3] [--baseline /work/main] [--no-postgres]

No HTTP, no signing: ``store.checkin`` as the check-in service calls it, ``--concurrency``
commands in flight (the group-commit writer batches them). The measured check-ins are
renewals (as in production): 5 machines on the 5-seat license; on the site license, whose
seats are first all taken through the store, 5 of its machines (only the license's size
differs) and then 100 (more rows and pages touched per batch). Each: a warm-up round, then
the best of ``--repeat`` rounds (the machine may be shared). Each tree
runs in a process of its own (its own ``licmon`` and ``tests`` on the path), PostgreSQL in a
throwaway cluster as tests/pg.py starts it. Prints check-ins per second, the ratio site /
5-seat (the target: >= 0.8, a check-in's cost independent of the license's size), PG /
SQLite, and this tree / the baseline.
"""

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parents[1]
TREE = Path(os.environ.get("LICMON_BENCH_TREE", HERE))
sys.path.insert(0, str(TREE))

import licmon  # noqa: E402
from licmon.domain.models import IpPrecision, License, LicenseTerms  # noqa: E402
from licmon.store.base import Store  # noqa: E402
from licmon.store.postgres.store import PostgresStore  # noqa: E402
from licmon.store.sqlite import SqliteStore  # noqa: E402
from tests.pg import PgCluster  # noqa: E402
from tests.store.test_seats_contract import checkin  # noqa: E402

SMALL = 5
RENEWING = 100  # machines of the site license renewing while measured


async def a_license(store: Store, seats: int) -> License:
    await store.add_org("acme", "Acme", IpPrecision.FULL, 30)
    await store.add_product("viewer", "Viewer")
    terms = LicenseTerms(seats=seats, max_machines=seats + 10)
    return await store.add_license("acme", "viewer", terms, b"k" * 32)


async def fill(store: Store, lic: License, seats: int, now: int, concurrency: int) -> None:
    queue = iter(range(seats))

    async def client() -> None:
        for i in queue:
            await store.checkin(checkin(lic, f"m{i}", now))

    await asyncio.gather(*(client() for _ in range(concurrency)))


async def rates(
    store: Store,
    seats: int,
    renewing: tuple[int, ...],
    checkins: int,
    concurrency: int,
    repeat: int,
) -> list[float]:
    """Per number of machines renewing: the best of ``repeat`` rounds, after a warm-up
    round (the machine is shared)."""
    await store.open()
    try:
        lic = await a_license(store, seats)
        now = int(time.time())
        await fill(store, lic, seats, now, concurrency)
        best = []
        for machines in renewing:
            rounds = []
            for _ in range(repeat + 1):
                now += 1
                rounds.append(await renewals(store, lic, machines, checkins, concurrency, now))
            best.append(max(rounds[1:]))
        return best
    finally:
        await store.close()


async def renewals(
    store: Store, lic: License, machines: int, checkins: int, concurrency: int, now: int
) -> float:
    queue = iter(range(checkins))

    async def client() -> None:
        for i in queue:
            await store.checkin(checkin(lic, f"m{i % machines}", now))

    start = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    return checkins / (time.perf_counter() - start)


def sqlite_store(root: Path, name: str) -> Store:
    return SqliteStore(root / f"{name}.db", synchronous="NORMAL")


Work = tuple[int, int, int]


def both_licenses(make: Callable[[str], Store], site_seats: int, work: Work) -> dict[str, float]:
    """The 5-seat license (5 machines renewing), then the site license with the same 5
    renewing (the license's size alone differs), then with 100 (more rows touched)."""
    (small,) = asyncio.run(rates(make("small"), SMALL, (SMALL,), *work))
    site, site100 = asyncio.run(rates(make("site"), site_seats, (SMALL, RENEWING), *work))
    return {"small": small, "site": site, "site100": site100}


def measure(args: argparse.Namespace) -> dict[str, dict[str, float]]:
    """This process's tree: {backend: {"small": rate, "site": rate, "site100": rate}}."""
    root = Path(tempfile.mkdtemp(prefix="licmon-bench-"))
    work = (args.checkins, args.concurrency, args.repeat)
    found = {"SQLite": both_licenses(lambda name: sqlite_store(root, name), args.site_seats, work)}
    if not args.no_postgres:
        cluster = PgCluster(Path(tempfile.mkdtemp(prefix="licmon-pg-bench-")))
        cluster.start()
        try:
            found["PostgreSQL"] = both_licenses(
                lambda _: PostgresStore(cluster.fresh_database()), args.site_seats, work
            )
        finally:
            cluster.stop()
    return found


def run_tree(tree: Path, argv: list[str]) -> dict[str, dict[str, float]]:
    env = {**os.environ, "LICMON_BENCH_TREE": str(tree)}
    done = subprocess.run(
        [sys.executable, __file__, "--measure", *argv],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        sys.exit(f"the run on {tree} failed: {done.stderr.strip().splitlines()[-1:]}")
    result: dict[str, dict[str, float]] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def report(trees: dict[str, dict[str, dict[str, float]]], site_seats: int) -> None:
    print(f"check-ins/s; site: {site_seats:,} seats in use, 5 or 100 of its machines renewing")
    print(
        f"{'tree':<10} {'store':<11} {'5-seat':>7} {'site,5':>7} {'site,100':>9}"
        f" {'site,5/5-seat':>14} {'site,100/5-seat':>16}"
    )
    for label, found in trees.items():
        for backend, got in found.items():
            small, site, wide = got["small"], got["site"], got["site100"]
            print(
                f"{label:<10} {backend:<11} {small:>7.0f} {site:>7.0f} {wide:>9.0f}"
                f" {site / small:>14.2f} {wide / small:>16.2f}"
            )
    if "baseline" in trees:
        this, base = trees["this"], trees["baseline"]
        for backend in this:
            for kind in ("small", "site", "site100"):
                ratio = this[backend][kind] / base[backend][kind]
                print(f"this/baseline {backend} {kind}: {ratio:.2f}")
    for label, found in trees.items():
        if "PostgreSQL" in found:
            pg, lite = found["PostgreSQL"]["small"], found["SQLite"]["small"]
            print(f"PostgreSQL/SQLite ({label}, 5-seat): {pg / lite:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--checkins", type=int, default=3000)
    parser.add_argument("--site-seats", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=3, help="rounds measured, best kept")
    parser.add_argument("--baseline", type=Path, help="another checkout to measure beside")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        assert Path(licmon.__file__).is_relative_to(TREE), "licmon is not the tree's"
        print(json.dumps(measure(args)))
        return
    argv = [
        f"--checkins={args.checkins}",
        f"--site-seats={args.site_seats}",
        f"--concurrency={args.concurrency}",
        f"--repeat={args.repeat}",
        *(["--no-postgres"] if args.no_postgres else []),
    ]
    trees: dict[str, Any] = {"this": run_tree(HERE, argv)}
    if args.baseline is not None:
        trees["baseline"] = run_tree(args.baseline.resolve(), argv)
    report(trees, args.site_seats)


if __name__ == "__main__":
    main()
