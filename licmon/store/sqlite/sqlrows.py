"""Rows as dicts keyed by column name: the one helper every store module shares."""

import sqlite3
from typing import Any


def dicts(cursor: sqlite3.Cursor) -> list[dict[str, Any]]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
