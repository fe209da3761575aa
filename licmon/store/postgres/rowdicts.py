"""Rows as dicts keyed by column name, on a psycopg connection."""

from collections.abc import Mapping, Sequence
from typing import Any

import psycopg
from psycopg.rows import dict_row

Params = Sequence[Any] | Mapping[str, Any] | None


def dicts(conn: psycopg.Connection[Any], sql: str, params: Params = None) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def scalar(conn: psycopg.Connection[Any], sql: str, params: Params = None) -> Any:
    """The first column of the first row (None when there is no row)."""
    row = conn.execute(sql, params).fetchone()
    return None if row is None else row[0]
