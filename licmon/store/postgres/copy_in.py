"""Filling an empty PostgreSQL database with the rows of another licmon database, table by
table in one transaction (``licmon store copy``): all of it lands, or none of it.

It runs as the owner role: ids are copied as they are and the identity sequences moved
past them; the target's triggers stay on, so what they derive (the catalog version)
follows the copied rows. The seat counters (``license_seats``, a row made by a trigger for
each copied license and counted into while seats are copied) and ``usage_hourly`` are made
exact copies of the source's at the end (the source's counters agree with its seats).
"""

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from psycopg import sql

from licmon.errors import ConfigError
from licmon.store.postgres.audit_sql import Conn
from licmon.store.postgres.roles import Roles, set_role

COUNTED_BY_TRIGGERS = ("usage_hourly", "license_seats")
TARGET_COLUMNS = """SELECT table_name, column_name FROM information_schema.columns
WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position"""
IDENTITIES = """SELECT table_name, column_name FROM information_schema.columns
WHERE table_schema = current_schema() AND is_identity = 'YES'"""

Rows = Iterable[Sequence[tuple[Any, ...]]]


def begin(conn: Conn, roles: Roles) -> dict[str, list[str]]:
    """Switch the transaction to the owner role; the target's tables and their columns."""
    set_role(conn, roles.owner)
    columns: dict[str, list[str]] = {}
    for table, column in conn.execute(TARGET_COLUMNS):
        columns.setdefault(str(table), []).append(str(column))
    return columns


def check_fits(target: dict[str, list[str]], table: str, columns: Sequence[str]) -> None:
    """Every source column has its place in the target, or the copy would lose data."""
    if table not in target:
        raise ConfigError(f"the target database has no table {table}: is it licmon's schema?")
    missing = [c for c in columns if c not in target[table]]
    if missing:
        raise ConfigError(f"the target's table {table} has no column {missing[0]}")


def ensure_empty(conn: Conn, tables: Iterable[str]) -> None:
    for table in tables:
        query = sql.SQL("SELECT EXISTS (SELECT 1 FROM {})").format(sql.Identifier(table))
        row = conn.execute(query).fetchone()
        if row and row[0]:
            raise ConfigError(
                f"the target database is not empty (table {table} has rows): "
                "copy only into a new, empty database"
            )


def copy_table(
    conn: Conn, table: str, columns: Sequence[str], batches: Rows, done: Callable[[int], None]
) -> int:
    """COPY the rows in; ``done`` is told the running count after each batch."""
    if table in COUNTED_BY_TRIGGERS:
        conn.execute(sql.SQL("DELETE FROM {}").format(sql.Identifier(table)))
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    copied = 0
    with conn.cursor().copy(statement) as copy:
        for batch in batches:
            for row in batch:
                copy.write_row(row)
            copied += len(batch)
            done(copied)
    return copied


def move_identities(conn: Conn) -> None:
    """Identity sequences continue after the copied ids."""
    for table, column in conn.execute(IDENTITIES).fetchall():
        query = sql.SQL(
            "SELECT setval(pg_get_serial_sequence({t}, {c}), "
            "coalesce((SELECT max({col}) FROM {tab}), 0) + 1, false)"
        ).format(
            t=sql.Literal(table),
            c=sql.Literal(column),
            col=sql.Identifier(column),
            tab=sql.Identifier(table),
        )
        conn.execute(query)


def count(conn: Conn, table: str) -> int:
    row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))).fetchone()
    return int(row[0]) if row else 0
