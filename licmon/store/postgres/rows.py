"""Rows as dicts keyed by column name: the one helper every PostgreSQL module shares.

Connections hand out tuples (psycopg's default row factory); a module that wants names
calls ``dicts(cursor)``, exactly as the SQLite backend does with its own ``dicts``.
"""

from typing import Any

import psycopg


def dicts(cursor: psycopg.Cursor[Any]) -> list[dict[str, Any]]:
    if cursor.description is None:
        return []
    names = [d.name for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def one(cursor: psycopg.Cursor[Any]) -> dict[str, Any] | None:
    rows = dicts(cursor)
    return rows[0] if rows else None
