"""Moving a node lock in PostgreSQL: the statements licmon.store.lock_moves runs."""

import json
from typing import Any

import psycopg

from licmon.domain.audit import AuditEntry
from licmon.domain.models import License
from licmon.store.postgres import audit_sql, catalog

Conn = psycopg.Connection[Any]


def license_by_id(conn: Conn, license_id: int) -> License:
    return catalog.license_by_id(conn, license_id)


def moves_since(conn: Conn, license_id: int, since: int) -> int:
    return _count(
        conn,
        "SELECT count(*) FROM lock_moves WHERE license_id = %s AND moved_at > %s",
        (license_id, since),
    )


def machine_id(conn: Conn, license_id: int, machine: str) -> int | None:
    row = conn.execute(
        "SELECT id FROM machines WHERE license_id = %s AND fingerprint = %s",
        (license_id, machine),
    ).fetchone()
    return int(row[0]) if row else None


def set_locked(conn: Conn, license_id: int, locked: frozenset[str], now: int) -> None:
    conn.execute(
        "UPDATE licenses SET locked_machines = %s, updated_at = %s WHERE id = %s",
        (json.dumps(sorted(locked)), now, license_id),
    )


def deactivate(conn: Conn, machine_id: int) -> bool:
    sql = (
        "UPDATE machines SET activated_at = NULL WHERE id = %s AND activated_at IS NOT NULL "
        "RETURNING id"
    )
    return conn.execute(sql, (machine_id,)).fetchone() is not None


def free(conn: Conn, license_id: int, machine_id: int) -> None:
    conn.execute(
        "DELETE FROM seats WHERE license_id = %s AND machine_id = %s AND kind != 'offline'",
        (license_id, machine_id),
    )
    conn.execute("DELETE FROM machine_processes WHERE machine_id = %s", (machine_id,))


def record_move(conn: Conn, license_id: int, now: int) -> None:
    conn.execute("INSERT INTO lock_moves (license_id, moved_at) VALUES (%s, %s)", (license_id, now))


def audit(conn: Conn, entry: AuditEntry) -> None:
    audit_sql.append(conn, entry)


def activated_count(conn: Conn, license_id: int) -> int:
    return _count(
        conn,
        "SELECT count(*) FROM machines WHERE license_id = %s AND activated_at IS NOT NULL",
        (license_id,),
    )


def _count(conn: Conn, sql: str, params: tuple[int, ...]) -> int:
    row = conn.execute(sql, params).fetchone()
    return int(row[0]) if row else 0
