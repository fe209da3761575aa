"""The data-subject export on PostgreSQL, in the documented transfer format of
``licmon.store.sqlite.dsr_export`` (whose record builders are backend-independent and
serve both backends): each record with its purpose, legal basis, deadline, hold and
restriction status, and who read it (from the audit log)."""

from typing import Any

from licmon.domain.access import ReadContext
from licmon.domain.subjects import Subject
from licmon.store.postgres import audit_sql, vault
from licmon.store.postgres.audit_sql import Conn
from licmon.store.postgres.dsr_find import Found
from licmon.store.sqlite.dsr_export import (
    FORMAT,
    VERSION,
    _attempt,
    _connection,
    _flag,
    _machine,
    _reader,
    _seat,
    audit_targets,
    audit_view,
)


def document(
    conn: Conn, ctx: ReadContext, subject: Subject, found: Found, now: int
) -> dict[str, Any]:
    """The export of what ``found`` holds; the read of it is audited in this transaction."""
    connection_ids = [row["id"] for row in found.connections]
    vault.record_read(conn, vault.Selection(subject, ctx, now), connection_ids)
    flag_ids = [row["id"] for row in found.flags]
    attempt_ids = [row["id"] for row in found.login_attempts]
    if flag_ids or attempt_ids:
        what = {"flags": flag_ids, "login_attempts": attempt_ids}
        vault.audit_read(conn, ctx, now, subject.audit_target(), what)
    readers = vault.reads_of(conn, connection_ids)
    flag_readers = _flag_readers(conn, flag_ids)
    return {
        "format": FORMAT,
        "version": VERSION,
        "generated_at": now,
        "subject": {"kind": subject.kind.value},
        "scope": {"org": ctx.org_id},
        "records": [_connection(r, readers[r["id"]]) for r in found.connections],
        "flags": [_flag(r, flag_readers.get(r["id"], [])) for r in found.flags],
        "machines": [_machine(r) for r in found.machines],
        "seats": [_seat(r) for r in found.seats],
        "login_attempts": [_attempt(r) for r in found.login_attempts],
        "audit": audit_about(conn, subject, found, readers),
        "ambiguous": found.ambiguous,
    }


def _flag_readers(conn: Conn, flag_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    found: dict[int, list[dict[str, Any]]] = {}
    if not flag_ids:
        return found
    for stored in audit_sql.about(conn, [f"flag:{i}" for i in flag_ids]):
        if stored.entry.action == "personal_data.read":
            flag_id = int(stored.entry.target.split(":", 1)[1])
            found.setdefault(flag_id, []).append(_reader(stored))
    return found


def audit_about(
    conn: Conn,
    subject: Subject,
    found: Found,
    readers: dict[int, list[dict[str, Any]]],
    extra_targets: tuple[str, ...] = (),
) -> list[dict[str, Any]]:
    """Entries about the subject: its targets, and every read of its connection rows."""
    read_ids = {r["audit_id"] for rows in readers.values() for r in rows}
    entries = {
        s.id: s for s in audit_sql.about(conn, [*audit_targets(subject, found), *extra_targets])
    }
    entries |= {s.id: s for s in audit_sql.by_ids(conn, sorted(read_ids - set(entries)))}
    return [audit_view(entries[i]) for i in sorted(entries)]
