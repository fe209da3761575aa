"""Moving a node lock, as every backend runs it in one transaction: the machine leaves the
lock, its seat is freed, the move is audited and counted against the license's
``lock_moves`` per ``lock_move_days``. Each backend supplies the SQL (``LockSql``)."""

from typing import Any, Protocol

from licmon.domain import node_locks
from licmon.domain.audit import AuditEntry
from licmon.domain.models import License
from licmon.errors import NotFound


class LockSql(Protocol):
    def license_by_id(self, conn: Any, license_id: int) -> License: ...

    def moves_since(self, conn: Any, license_id: int, since: int) -> int: ...

    def machine_id(self, conn: Any, license_id: int, machine: str) -> int | None: ...

    def set_locked(self, conn: Any, license_id: int, locked: frozenset[str], now: int) -> None:
        """Write the license's listed machines."""

    def deactivate(self, conn: Any, machine_id: int) -> bool:
        """Take the machine's activation; False when it held none."""

    def free(self, conn: Any, license_id: int, machine_id: int) -> None:
        """Its online or borrowed seat and its instances (an air-gapped seat stays until its
        file is returned)."""

    def record_move(self, conn: Any, license_id: int, now: int) -> None: ...

    def audit(self, conn: Any, entry: AuditEntry) -> None: ...


def move(
    sql: LockSql, conn: Any, license_id: int, machine: str, to: str | None, now: int, actor: str
) -> License:
    lic = sql.license_by_id(conn, license_id)
    moves = sql.moves_since(conn, license_id, node_locks.move_window_start(lic.terms, now))
    node_locks.check_move(lic, moves)
    terms = node_locks.moved_terms(lic, machine, to)
    machine_id = sql.machine_id(conn, license_id, machine)
    if terms.locked_machines:
        sql.set_locked(conn, license_id, terms.locked_machines, now)
    elif machine_id is None or not sql.deactivate(conn, machine_id):
        raise NotFound(f"That machine holds no activation of license {license_id}.")
    if machine_id is not None:
        sql.free(conn, license_id, machine_id)
    sql.record_move(conn, license_id, now)
    details = {"machine": machine_id, "moves_left": lic.terms.lock_moves - moves - 1}
    sql.audit(
        conn, AuditEntry(now, actor, "license.lock_move", f"license:{license_id}", "ok", details)
    )
    return sql.license_by_id(conn, license_id)
