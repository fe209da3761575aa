"""PostgreSQL drivers compared on licmon's kind of work, in the same run: psycopg 3 (what
licmon uses: sync connections on the writer's and readers' threads) against asyncpg.

    python bench/pg_driver.py [--rows 3000] [--clients 8]

Starts a throwaway PostgreSQL 15 (as tests/pg.py does), then times the same workload with
each driver: one INSERT ... RETURNING and one SELECT by key per row, first on one connection,
then from ``--clients`` concurrent clients on a pool. Prints rows per second and the ratio
asyncpg / psycopg (> 1: asyncpg faster). asyncpg is not a licmon dependency: pip install it
to run this.
"""

import argparse
import asyncio
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import asyncpg
import psycopg
from psycopg_pool import ConnectionPool

from tests.pg import PgCluster

TABLE = "CREATE TABLE bench (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, k text, v bigint)"


def psycopg_one(url: str, rows: int) -> float:
    with psycopg.connect(url, autocommit=True) as conn:
        start = time.perf_counter()
        for i in range(rows):
            (row_id,) = conn.execute(
                "INSERT INTO bench (k, v) VALUES (%s, %s) RETURNING id", (f"k{i}", i)
            ).fetchone() or (0,)
            conn.execute("SELECT k, v FROM bench WHERE id = %s", (row_id,)).fetchone()
        return time.perf_counter() - start


def psycopg_pool(url: str, rows: int, clients: int) -> float:
    pool: ConnectionPool[Any] = ConnectionPool(
        url, min_size=clients, max_size=clients, kwargs={"autocommit": True}, open=True
    )
    pool.wait()

    def work(part: int) -> None:
        for i in range(rows // clients):
            with pool.connection() as conn:
                (row_id,) = conn.execute(
                    "INSERT INTO bench (k, v) VALUES (%s, %s) RETURNING id", (f"p{part}-{i}", i)
                ).fetchone() or (0,)
                conn.execute("SELECT k, v FROM bench WHERE id = %s", (row_id,)).fetchone()

    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as threads:
        list(threads.map(work, range(clients)))
    elapsed = time.perf_counter() - start
    pool.close()
    return elapsed


async def asyncpg_one(dsn: dict[str, Any], rows: int) -> float:
    conn = await asyncpg.connect(**dsn)
    start = time.perf_counter()
    for i in range(rows):
        row_id = await conn.fetchval(
            "INSERT INTO bench (k, v) VALUES ($1, $2) RETURNING id", f"k{i}", i
        )
        await conn.fetchrow("SELECT k, v FROM bench WHERE id = $1", row_id)
    elapsed = time.perf_counter() - start
    await conn.close()
    return elapsed


async def asyncpg_pool(dsn: dict[str, Any], rows: int, clients: int) -> float:
    pool = await asyncpg.create_pool(min_size=clients, max_size=clients, **dsn)

    async def work(part: int) -> None:
        for i in range(rows // clients):
            async with pool.acquire() as conn:
                row_id = await conn.fetchval(
                    "INSERT INTO bench (k, v) VALUES ($1, $2) RETURNING id", f"a{part}-{i}", i
                )
                await conn.fetchrow("SELECT k, v FROM bench WHERE id = $1", row_id)

    start = time.perf_counter()
    await asyncio.gather(*(work(part) for part in range(clients)))
    elapsed = time.perf_counter() - start
    await pool.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    cluster = PgCluster(Path(tempfile.mkdtemp(prefix="licmon-pg-bench-")))
    cluster.start()
    try:
        cluster.admin("CREATE DATABASE bench OWNER postgres")
        cluster.admin(TABLE, database="bench")
        url = cluster.url("bench", "postgres")
        dsn = {"user": "postgres", "database": "bench", "host": str(cluster.root),
               "port": cluster.port}  # fmt: skip
        results = {
            "one connection": (
                psycopg_one(url, args.rows),
                asyncio.run(asyncpg_one(dsn, args.rows)),
            ),
            f"{args.clients} clients": (
                psycopg_pool(url, args.rows, args.clients),
                asyncio.run(asyncpg_pool(dsn, args.rows, args.clients)),
            ),
        }
    finally:
        cluster.stop()
    print(f"{'workload':<16} {'psycopg rows/s':>15} {'asyncpg rows/s':>15} {'asyncpg/psycopg':>16}")
    for name, (psy, apg) in results.items():
        print(f"{name:<16} {args.rows / psy:>15.0f} {args.rows / apg:>15.0f} {psy / apg:>16.2f}")


if __name__ == "__main__":
    main()
