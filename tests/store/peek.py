"""Read (and, to prove a test can fail, break) a store's tables behind its back: the seat
counter is a backend's own bookkeeping, so the contract suite checks it against the rows."""

import sqlite3
from typing import Any

import psycopg

from licmon.store.base import Store
from licmon.store.postgres.store import PostgresStore
from licmon.store.sqlite import SqliteStore

# Each counter beside the seat rows it should count (expires_at > swept_at).
COUNTERS = """SELECT c.license_id, c.in_use, (SELECT count(*) FROM seats s
    WHERE s.license_id = c.license_id AND s.expires_at > c.swept_at)
FROM license_seats c ORDER BY c.license_id"""

# What each backend's migrations create to keep the counter; dropping one must be caught.
DELETE_TRIGGER = {
    SqliteStore: "DROP TRIGGER seats_delete_counts",
    PostgresStore: "DROP TRIGGER seats_count ON seats",
}


def rows(store: Store, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    if isinstance(store, SqliteStore):
        conn = sqlite3.connect(store.path)
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()
    assert isinstance(store, PostgresStore)
    with psycopg.connect(store.url) as pg:
        return pg.execute(sql.replace("?", "%s").encode(), params).fetchall()


def execute(store: Store, sql: str) -> None:
    if isinstance(store, SqliteStore):
        conn = sqlite3.connect(store.path, isolation_level=None)
        try:
            conn.execute(sql)
        finally:
            conn.close()
    else:
        assert isinstance(store, PostgresStore)
        with psycopg.connect(store.url) as pg:
            pg.execute(sql.encode())


def counters(store: Store) -> list[tuple[int, int, int]]:
    """(license, counter, rows it should count) for every license."""
    return [(int(a), int(b), int(c)) for a, b, c in rows(store, COUNTERS)]


def live_seats(store: Store, license_id: int, now: int) -> int:
    sql = "SELECT count(*) FROM seats WHERE license_id = ? AND expires_at > ?"
    return int(rows(store, sql, license_id, now)[0][0])


def drop_delete_trigger(store: Store) -> None:
    execute(store, DELETE_TRIGGER[type(store)])
