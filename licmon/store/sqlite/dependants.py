"""Rows that point (by foreign key) at rows being erased: found from the schema itself, so
that a table added later goes with what it points at instead of blocking the erasure."""

import sqlite3
from typing import Any


def referencing(conn: sqlite3.Connection, parent: str) -> list[tuple[str, str]]:
    """(table, column) pairs whose foreign key points at ``parent``."""
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    return [
        (table, fk[3])
        for table in tables
        for fk in conn.execute(f"PRAGMA foreign_key_list({table})")
        if fk[2] == parent
    ]


def erase(
    conn: sqlite3.Connection, parent: str, keys: list[int], skip: frozenset[str] = frozenset()
) -> dict[str, dict[str, list[Any]]]:
    """Delete the rows of other tables (but ``skip``) that point at these rows of
    ``parent``; returns their row ids by table, for the receipt."""
    erased: dict[str, dict[str, list[Any]]] = {}
    if not keys:
        return erased
    marks = ",".join("?" * len(keys))
    for table, column in referencing(conn, parent):
        if table in skip:
            continue
        where = f"WHERE {column} IN ({marks})"
        ids = [r[0] for r in conn.execute(f"SELECT rowid FROM {table} {where}", keys)]
        conn.execute(f"DELETE FROM {table} {where}", keys)
        erased.setdefault(table, {"erased": []})["erased"] += ids
    return erased
