"""Check-ins per second through the store alone, SQLite (the baseline) and PostgreSQL, in
the same run.

    python bench/store_checkin.py [--checkins 3000] [--machines 100] [--concurrency 64]

No HTTP, no signing: ``store.checkin`` as the check-in service calls it, ``--concurrency``
commands in flight (the group-commit writer batches them), ``--machines`` distinct machines
on one license with seats for all (mostly renewals, as in production). Starts a throwaway
PostgreSQL 15 as tests/pg.py does. Prints check-ins per second and the ratio PG/SQLite.
"""

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from licmon.domain.models import License
from licmon.store.base import Store
from licmon.store.postgres.store import PostgresStore
from licmon.store.sqlite import SqliteStore
from tests.pg import PgCluster
from tests.store.test_seats_contract import a_license, checkin


async def prepared(store: Store, seats: int) -> License:
    await store.open()
    return await a_license(store, seats)


async def rate(store: Store, checkins: int, machines: int, concurrency: int) -> float:
    lic = await prepared(store, machines)
    now = int(time.time())
    queue = iter(range(checkins))

    async def client() -> None:
        for i in queue:
            await store.checkin(checkin(lic, f"m{i % machines}", now))

    start = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    elapsed = time.perf_counter() - start
    await store.close()
    return checkins / elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--checkins", type=int, default=3000)
    parser.add_argument("--machines", type=int, default=100)  # a_license: 100 machines
    parser.add_argument("--concurrency", type=int, default=64)
    args = parser.parse_args()
    work = (args.checkins, args.machines, args.concurrency)
    root = Path(tempfile.mkdtemp(prefix="licmon-bench-"))
    sqlite = asyncio.run(rate(SqliteStore(root / "licmon.db", synchronous="NORMAL"), *work))
    cluster = PgCluster(Path(tempfile.mkdtemp(prefix="licmon-pg-bench-")))
    cluster.start()
    try:
        pg = asyncio.run(rate(PostgresStore(cluster.fresh_database()), *work))
    finally:
        cluster.stop()
    print(f"{'store':<12} {'check-ins/s':>12}")
    print(f"{'SQLite':<12} {sqlite:>12.0f}")
    print(f"{'PostgreSQL':<12} {pg:>12.0f}")
    print(f"PostgreSQL/SQLite: {pg / sqlite:.2f}")


if __name__ == "__main__":
    main()
