"""Every table of a SQLite database, read in one snapshot, for ``licmon store copy``.

A raw connection, opened read-only, without licmon's authorizer: the copy moves the
personal columns with the rest (it is a privileged operation, like a backup), and never
shows them.
"""

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from licmon.errors import ConfigError

INTERNAL = ("sqlite_", "_sqlite_")  # SQLite's own tables and the migrations record
DERIVED = frozenset({"meta"})  # a change counter the target keeps itself


@dataclass(frozen=True, slots=True)
class Table:
    name: str
    columns: tuple[str, ...]
    rows: int
    parents: frozenset[str]  # tables it points at by foreign key


class Dump:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def tables(self) -> list[Table]:
        """The data tables, parents before the tables that point at them."""
        names = [
            row[0]
            for row in self.conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
            if not row[0].startswith(INTERNAL) and row[0] not in DERIVED
        ]
        found = {name: self._table(name) for name in names}
        return _parents_first(found)

    def _table(self, name: str) -> Table:
        columns = tuple(row[1] for row in self.conn.execute(f'PRAGMA table_info("{name}")'))
        (rows,) = self.conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()
        parents = {row[2] for row in self.conn.execute(f'PRAGMA foreign_key_list("{name}")')} - {
            name
        }
        return Table(name, columns, int(rows), frozenset(parents))

    def rows(self, table: Table, size: int = 2000) -> Iterator[list[tuple[Any, ...]]]:
        names = ", ".join(f'"{c}"' for c in table.columns)
        cursor = self.conn.execute(f'SELECT {names} FROM "{table.name}"')
        while batch := cursor.fetchmany(size):
            yield batch

    def audit_head(self) -> tuple[int, str | None]:
        (count,) = self.conn.execute("SELECT count(*) FROM audit").fetchone()
        row = self.conn.execute("SELECT hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
        return int(count), row[0] if row else None


def _parents_first(found: dict[str, Table]) -> list[Table]:
    ordered: list[Table] = []
    placed: set[str] = set()
    while len(ordered) < len(found):
        ready = [
            t
            for name, t in sorted(found.items())
            if name not in placed and t.parents & found.keys() <= placed
        ]
        if not ready:  # a cycle of foreign keys: keep the rest in name order
            ready = [t for name, t in sorted(found.items()) if name not in placed]
        ordered.extend(ready)
        placed.update(t.name for t in ready)
    return ordered


@contextmanager
def snapshot(path: Path) -> Iterator[Dump]:
    """The database at ``path`` as of one moment (a read transaction held throughout)."""
    if not path.is_file():
        raise ConfigError(f"database {path} does not exist")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    except sqlite3.Error as exc:
        raise ConfigError(f"database {path} cannot be opened: {exc}") from None
    try:
        conn.execute("BEGIN")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        yield Dump(conn)
    except sqlite3.DatabaseError as exc:
        raise ConfigError(f"database {path} cannot be read: {exc}") from None
    finally:
        conn.close()
