"""``licmon store copy``: an existing SQLite installation moved into an empty PostgreSQL
database, every table, in one transaction that commits only once the row counts match and
the audit chain verifies in the target."""

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from licmon.domain.audit import first_broken
from licmon.errors import ConfigError
from licmon.store.postgres import audit_sql, copy_in
from licmon.store.postgres.audit_sql import Conn
from licmon.store.postgres.connect import cause, connect, describe, prepare_database
from licmon.store.sqlite.dump import Table, snapshot

Progress = Callable[[str], None]


@dataclass
class Copied:
    tables: dict[str, int] = field(default_factory=dict)  # rows per table
    audit_entries: int = 0
    audit_head: str | None = None

    @property
    def rows(self) -> int:
        return sum(self.tables.values())


def copy_sqlite(
    path: Path, url: str, pepper_fingerprint: str | None, progress: Progress = lambda _: None
) -> Copied:
    """Copy the SQLite database at ``path`` into the empty database at ``url``; every
    failure is one ConfigError line (the target is left as it was)."""
    try:
        return _copy_all(path, url, pepper_fingerprint, progress)
    except psycopg.Error as exc:
        raise ConfigError(f"database {describe(url)}: the copy failed: {cause(exc)}") from None


def _copy_all(path: Path, url: str, pepper_fingerprint: str | None, progress: Progress) -> Copied:
    roles = prepare_database(url, pepper_fingerprint)
    with snapshot(path) as dump:
        tables = _in_copy_order(dump.tables())
        entries, head = dump.audit_head()
        with connect(url) as conn:
            target = copy_in.begin(conn, roles)
            for table in tables:
                copy_in.check_fits(target, table.name, table.columns)
            copy_in.ensure_empty(conn, [t.name for t in tables])
            copied = Copied(audit_entries=entries, audit_head=head)
            for table in tables:
                copied.tables[table.name] = _copy(conn, table, dump.rows(table), progress)
            copy_in.move_identities(conn)
            progress("verifying the audit chain")
            _verify(conn, tables, entries, head)
            conn.commit()
    return copied


def _in_copy_order(tables: list[Table]) -> list[Table]:
    """Parents first; the tables triggers count into last, so that they end as copied."""
    last = [t for t in tables if t.name in copy_in.COUNTED_BY_TRIGGERS]
    return [t for t in tables if t not in last] + last


def _copy(conn: Conn, table: Table, batches: copy_in.Rows, progress: Progress) -> int:
    def done(rows: int) -> None:
        progress(f"{table.name} {rows:,}/{table.rows:,} rows")

    progress(f"{table.name} 0/{table.rows:,} rows")
    return copy_in.copy_table(conn, table.name, table.columns, batches, done)


def _verify(conn: Conn, tables: list[Table], entries: int, head: str | None) -> None:
    for table in tables:
        landed = copy_in.count(conn, table.name)
        if landed != table.rows:
            raise ConfigError(
                f"table {table.name}: {table.rows:,} rows in the source, {landed:,} copied"
            )
    broken = first_broken(audit_sql.entries(conn))
    if broken is not None:
        raise ConfigError(f"the copied audit log does not verify at entry {broken.id}")
    count, last = audit_sql.head(conn)
    if count != entries or (head is not None and last != head):
        raise ConfigError("the copied audit log does not end where the source's does")
