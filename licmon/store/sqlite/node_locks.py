"""Moving a node lock as SQL: the statements licmon.store.lock_moves runs."""

import json
import sqlite3

from licmon.domain.audit import AuditEntry
from licmon.domain.models import License
from licmon.store.sqlite import audit_sql, catalog


def license_by_id(conn: sqlite3.Connection, license_id: int) -> License:
    return catalog.license_by_id(conn, license_id)


def moves_since(conn: sqlite3.Connection, license_id: int, since: int) -> int:
    return _count(
        conn,
        "SELECT count(*) FROM lock_moves WHERE license_id = ? AND moved_at > ?",
        (license_id, since),
    )


def machine_id(conn: sqlite3.Connection, license_id: int, machine: str) -> int | None:
    row = conn.execute(
        "SELECT id FROM machines WHERE license_id = ? AND fingerprint = ?",
        (license_id, machine),
    ).fetchone()
    return int(row[0]) if row else None


def set_locked(conn: sqlite3.Connection, license_id: int, locked: frozenset[str], now: int) -> None:
    conn.execute(
        "UPDATE licenses SET locked_machines = ?, updated_at = ? WHERE id = ?",
        (json.dumps(sorted(locked)), now, license_id),
    )


def deactivate(conn: sqlite3.Connection, machine_id: int) -> bool:
    sql = "UPDATE machines SET activated_at = NULL WHERE id = ? AND activated_at IS NOT NULL"
    return conn.execute(sql, (machine_id,)).rowcount > 0


def free(conn: sqlite3.Connection, license_id: int, machine_id: int) -> None:
    conn.execute(
        "DELETE FROM seats WHERE license_id = ? AND machine_id = ? AND kind != 'offline'",
        (license_id, machine_id),
    )
    conn.execute("DELETE FROM machine_processes WHERE machine_id = ?", (machine_id,))


def record_move(conn: sqlite3.Connection, license_id: int, now: int) -> None:
    conn.execute("INSERT INTO lock_moves (license_id, moved_at) VALUES (?, ?)", (license_id, now))


def audit(conn: sqlite3.Connection, entry: AuditEntry) -> None:
    audit_sql.append(conn, entry)


def activated_count(conn: sqlite3.Connection, license_id: int) -> int:
    return _count(
        conn,
        "SELECT count(*) FROM machines WHERE license_id = ? AND activated_at IS NOT NULL",
        (license_id,),
    )


def _count(conn: sqlite3.Connection, sql: str, params: tuple[int, ...]) -> int:
    row = conn.execute(sql, params).fetchone()
    return int(row[0]) if row else 0
