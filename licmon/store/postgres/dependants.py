"""Rows that point (by foreign key) at rows being erased: found from the catalog itself, so
that a table added later goes with what it points at instead of blocking the erasure."""

from typing import Any

from licmon.store.postgres.audit_sql import Conn

REFERENCING = """
SELECT c.conrelid::regclass::text, a.attname
FROM pg_constraint c
JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY(c.conkey)
WHERE c.contype = 'f' AND c.confrelid = to_regclass(%s)
  AND c.connamespace = to_regnamespace(current_schema())
ORDER BY 1, 2"""
HAS_ID = """SELECT 1 FROM information_schema.columns
WHERE table_schema = current_schema() AND table_name = %s AND column_name = 'id'"""


def referencing(conn: Conn, parent: str) -> list[tuple[str, str]]:
    """(table, column) pairs whose foreign key points at ``parent``."""
    return [(str(t), str(c)) for t, c in conn.execute(REFERENCING, (parent,)).fetchall()]


def erase(
    conn: Conn, parent: str, keys: list[int], skip: frozenset[str] = frozenset()
) -> dict[str, dict[str, list[Any]]]:
    """Delete the rows of other tables (but ``skip``) that point at these rows of
    ``parent``; returns their row ids (or keys) by table, for the receipt."""
    erased: dict[str, dict[str, list[Any]]] = {}
    if not keys:
        return erased
    for table, column in referencing(conn, parent):
        if table in skip:
            continue
        key = "id" if conn.execute(HAS_ID, (table,)).fetchone() else column
        ids = [
            r[0]
            for r in conn.execute(
                f'DELETE FROM "{table}" WHERE "{column}" = ANY(%s) RETURNING "{key}"', (keys,)
            )
        ]
        erased.setdefault(table, {"erased": []})["erased"] += ids
    return erased
