"""Several nodes: the same wrk load against four configurations, in one run.

    python bench/cluster.py [--licenses 2000] [--seconds 4] [--connections 64] [--rounds 1]

1. the bare aiohttp JSON echo (the baseline every ratio is against);
2. one `licmon serve` on SQLite (synchronous=FULL);
3. one `licmon serve` on PostgreSQL (a temporary server started here, fsync on);
4. two `licmon serve` nodes on that PostgreSQL behind HAProxy (deploy/haproxy.cfg).

Same licenses (keys), same request mix (bench/checkin.lua), same connections and duration
for each; prints check-ins per second, p50/p99 and the ratios against the echo, and how
throughput grows from one PostgreSQL node to two.
"""

import argparse
import asyncio
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from functools import partial
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from load import seed, start, wait_ready, write_keys_lua, wrk  # noqa: E402

from licmon.config import Settings  # noqa: E402
from licmon.datadir import DataDir  # noqa: E402
from licmon.domain import license_keys  # noqa: E402
from licmon.domain.models import IpPrecision, LicenseTerms  # noqa: E402
from tests.cluster import harness  # noqa: E402

SEATS = 5
Target = Callable[[], AbstractContextManager[str]]  # a running configuration's base URL


@contextmanager
def echo() -> Iterator[str]:
    port = harness.free_port()
    proc = start([sys.executable, str(ROOT / "bench/echo_server.py"), str(port)])
    try:
        wait_ready(f"http://127.0.0.1:{port}/v1/checkin")
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(proc)


@contextmanager
def sqlite_node(data: Path) -> Iterator[str]:
    env = harness.node_env(data, "", sqlite_synchronous="FULL")
    env.pop("LICMON_DATABASE_URL")
    node = harness.Node("sqlite", data, harness.free_port(), env)
    node.start()
    try:
        yield f"http://{node.address}"
    finally:
        node.stop()


async def seed_postgres(data_dir: Path, database_url: str, licenses: int) -> list[str]:
    from licmon.app import open_store  # noqa: PLC0415

    pepper = DataDir(data_dir).ensure().pepper()
    store = open_store(Settings(data_dir=data_dir, database_url=database_url))  # type: ignore[call-arg]
    await store.open()
    await store.add_org("bench", "Bench Ltd", IpPrecision.FULL, 60)
    await store.add_product("viewer", "Viewer")
    keys = [license_keys.generate() for _ in range(licenses)]
    terms = LicenseTerms(seats=SEATS, max_machines=2 * SEATS)
    for key in keys:
        await store.add_license("bench", "viewer", terms, license_keys.key_hash(pepper, key))
    await store.close()
    return keys


@contextmanager
def postgres_nodes(work: Path, source: Path, url: str, count: int) -> Iterator[str]:
    names = ("a", "b")[:count]
    dirs = harness.node_dirs(work, names, source)
    nodes = [
        harness.Node(n, d, harness.free_port(), harness.node_env(d, url))
        for n, d in zip(names, dirs, strict=True)
    ]
    proxy = harness.HAProxy(harness.free_port(), harness.free_port(), nodes)
    try:
        for node in nodes:
            node.start()
        if count == 1:
            yield f"http://{nodes[0].address}"
        else:
            proxy.start(work)
            yield f"http://127.0.0.1:{proxy.listen}"
    finally:
        proxy.stop()
        for node in nodes:
            node.stop()


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    proc.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--licenses", type=int, default=2000)
    parser.add_argument("--seconds", type=int, default=4)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--database-url", default="", help="an empty PostgreSQL database")
    args = parser.parse_args()
    for tool in ("wrk", "haproxy"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is needed: apt-get install {tool}")
    work = Path(tempfile.mkdtemp(prefix="licmon-cluster-bench-"))
    try:
        with database(args.database_url, work) as url:
            results = run_all(args, work, url)
        report(results, args)
    finally:
        shutil.rmtree(work, ignore_errors=True)


@contextmanager
def database(given: str, work: Path) -> Iterator[str]:
    """The PostgreSQL to use: the one given, or a temporary server (tests/pg.py)."""
    if given:
        yield given
        return
    from tests.pg import temporary_postgres  # noqa: PLC0415

    with temporary_postgres(work / "pg") as url:
        yield url


def run_all(args: argparse.Namespace, work: Path, url: str) -> dict[str, list[dict[str, float]]]:
    sqlite_keys = asyncio.run(seed(work / "sqlite" / "data", args.licenses, SEATS))
    pg_keys = asyncio.run(seed_postgres(work / "seed", url, args.licenses))
    source = work / "seed"
    targets: dict[str, tuple[Target, list[str]]] = {
        "echo": (echo, pg_keys),
        "1 node, SQLite": (partial(sqlite_node, work / "sqlite" / "data"), sqlite_keys),
        "1 node, PostgreSQL": (partial(postgres_nodes, work / "pg1", source, url, 1), pg_keys),
        "2 nodes, PostgreSQL, HAProxy": (
            partial(postgres_nodes, work / "pg2", source, url, 2),
            pg_keys,
        ),
    }
    results: dict[str, list[dict[str, float]]] = {name: [] for name in targets}
    for _ in range(args.rounds):
        for number, (name, (target, keys)) in enumerate(targets.items()):
            lua = work / f"keys-{number}.lua"
            write_keys_lua(keys, lua)
            with target() as base:
                wrk(base, 1, args.connections, lua)  # warm-up
                results[name].append(wrk(base, args.seconds, args.connections, lua))
    return results


def report(results: dict[str, list[dict[str, float]]], args: argparse.Namespace) -> None:
    def med(name: str, field: str) -> float:
        return median(r[field] for r in results[name])

    echo_rps, echo_p99 = med("echo", "rps"), med("echo", "p99_ms")
    print(
        f"\nlicmon cluster benchmark: {args.licenses} licenses, {args.connections} connections, "
        f"{args.rounds} x {args.seconds}s per configuration"
    )
    print("| configuration | check-ins/s | p50 ms | p99 ms | /echo rps | /echo p99 | non-2xx |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, runs in results.items():
        errors = sum(r["errors"] for r in runs)
        print(
            f"| {name} | {med(name, 'rps'):,.0f} | {med(name, 'p50_ms'):.2f} | "
            f"{med(name, 'p99_ms'):.2f} | {med(name, 'rps') / echo_rps:.2f} | "
            f"{med(name, 'p99_ms') / echo_p99:.2f} | {errors:.0f} |"
        )
    one, two = med("1 node, PostgreSQL", "rps"), med("2 nodes, PostgreSQL, HAProxy", "rps")
    print(f"\nthroughput 2 nodes / 1 node on PostgreSQL: {two / one:.2f}")


if __name__ == "__main__":
    main()
