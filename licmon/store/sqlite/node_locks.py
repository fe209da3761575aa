"""Moving a node lock as SQL: the machine leaves the lock, its seat is freed, audited, and
the move is counted against the license's ``lock_moves`` per ``lock_move_days``."""

import json
import sqlite3

from licmon.domain import node_locks
from licmon.domain.audit import AuditEntry
from licmon.domain.models import License
from licmon.errors import NotFound
from licmon.store.sqlite import audit_sql, catalog

MOVES_SINCE = "SELECT count(*) FROM lock_moves WHERE license_id = ? AND moved_at > ?"


def move(
    conn: sqlite3.Connection, license_id: int, machine: str, to: str | None, now: int, actor: str
) -> License:
    lic = catalog.license_by_id(conn, license_id)
    (moves,) = conn.execute(
        MOVES_SINCE, (license_id, node_locks.move_window_start(lic.terms, now))
    ).fetchone()
    node_locks.check_move(lic, int(moves))
    terms = node_locks.moved_terms(lic, machine, to)
    machine_id = _machine_id(conn, license_id, machine)
    if terms.locked_machines:
        conn.execute(
            "UPDATE licenses SET locked_machines = ?, updated_at = ? WHERE id = ?",
            (json.dumps(sorted(terms.locked_machines)), now, license_id),
        )
    elif machine_id is None or not _deactivate(conn, machine_id):
        raise NotFound(f"That machine holds no activation of license {license_id}.")
    if machine_id is not None:
        _free(conn, license_id, machine_id)
    conn.execute("INSERT INTO lock_moves (license_id, moved_at) VALUES (?, ?)", (license_id, now))
    details = {"machine": machine_id, "moves_left": lic.terms.lock_moves - int(moves) - 1}
    audit_sql.append(
        conn, AuditEntry(now, actor, "license.lock_move", f"license:{license_id}", "ok", details)
    )
    return catalog.license_by_id(conn, license_id)


def activated_count(conn: sqlite3.Connection, license_id: int) -> int:
    (count,) = conn.execute(
        "SELECT count(*) FROM machines WHERE license_id = ? AND activated_at IS NOT NULL",
        (license_id,),
    ).fetchone()
    return int(count)


def _machine_id(conn: sqlite3.Connection, license_id: int, machine: str) -> int | None:
    row = conn.execute(
        "SELECT id FROM machines WHERE license_id = ? AND fingerprint = ?", (license_id, machine)
    ).fetchone()
    return int(row[0]) if row else None


def _deactivate(conn: sqlite3.Connection, machine_id: int) -> bool:
    return (
        conn.execute(
            "UPDATE machines SET activated_at = NULL WHERE id = ? AND activated_at IS NOT NULL",
            (machine_id,),
        ).rowcount
        > 0
    )


def _free(conn: sqlite3.Connection, license_id: int, machine_id: int) -> None:
    """Its online or borrowed seat; an air-gapped one stays until its file is returned."""
    conn.execute(
        "DELETE FROM seats WHERE license_id = ? AND machine_id = ? AND kind != 'offline'",
        (license_id, machine_id),
    )
    conn.execute("DELETE FROM machine_processes WHERE machine_id = ?", (machine_id,))
