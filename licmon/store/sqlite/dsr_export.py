"""The data-subject export: a documented, versioned, machine-readable transfer format.

Every record carries its purpose, legal basis, deadline (``retain_until``), hold and
restriction status, and who read it (from the audit log). The README documents each key.
"""

import sqlite3
from typing import Any

from licmon.domain.access import ReadContext
from licmon.domain.purposes import AUTHN, LICENSE_ENFORCEMENT, PURPOSES
from licmon.domain.subjects import Subject, SubjectKind
from licmon.store.sqlite import audit_sql, learned_sql, vault
from licmon.store.sqlite.dsr_find import Found

FORMAT = "licmon.dsr-export"
VERSION = 1
CONNECTION_KEYS = (
    "day",
    "address",
    "precision",
    "country",
    "city",
    "latitude",
    "longitude",
    "accuracy_km",
    "asn",
    "anonymizer",
    "first_seen",
    "last_seen",
    "checkins",
    "denials",
)
FLAG_KEYS = (
    "kind",
    "severity",
    "status",
    "count",
    "first_seen",
    "last_seen",
    "source_network",
    "evidence",
    "decided_by",
    "decided_at",
    "decision_reason",
)


def document(
    conn: sqlite3.Connection, ctx: ReadContext, subject: Subject, found: Found, now: int
) -> dict[str, Any]:
    """The export of what ``found`` holds; the read of it is audited in this transaction."""
    connection_ids = [row["id"] for row in found.connections]
    vault.record_read(conn, vault.Selection(subject, ctx, now), connection_ids)
    flag_ids = [row["id"] for row in found.flags]
    attempt_ids = [row["id"] for row in found.login_attempts]
    if flag_ids or attempt_ids:
        what = {"flags": flag_ids, "login_attempts": attempt_ids}
        vault._audit_read(conn, ctx, now, subject.audit_target(), what)
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
        "learned": learned_sql.about_machines(conn, [int(m["id"]) for m in found.machines]),
        "seats": [_seat(r) for r in found.seats],
        "login_attempts": [_attempt(r) for r in found.login_attempts],
        "audit": audit_about(conn, subject, found, readers),
        "ambiguous": found.ambiguous,
    }


def _basis(purpose: str, retain_until: int | None, held: Any, restricted: Any) -> dict[str, Any]:
    return {
        "purpose": purpose,
        "legal_basis": PURPOSES[purpose].legal_basis,
        "retain_until": retain_until,
        "held": bool(held),
        "restricted": bool(restricted),
    }


def _connection(row: dict[str, Any], readers: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "license": row["license_id"],
        "machine": row["machine"],
        **{k: row[k] for k in CONNECTION_KEYS},
        **_basis(row["purpose"], row["retain_until"], row["held"], row["restricted"]),
        "read_by": readers,
    }


def _flag(row: dict[str, Any], readers: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "license": row["license_id"],
        **{k: row[k] for k in FLAG_KEYS},
        **_basis(row["purpose"], row["retain_until"], row["held"], row["restricted"]),
        "read_by": readers,
    }


def _machine(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "license": row["license_id"],
        "fingerprint": row["fingerprint"],
        "first_seen": row["first_seen"],
        "last_seen": row["last_seen"],
        **_basis(LICENSE_ENFORCEMENT, row.get("retain_until"), row["held"], row.get("restricted")),
        "read_by": [],
    }


def _seat(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "license": row["license_id"],
        "machine": row["machine_id"],
        "granted_at": row["granted_at"],
        "expires_at": row["expires_at"],
        **_basis(LICENSE_ENFORCEMENT, row["expires_at"], row["held"], False),
        "read_by": [],
    }


def _attempt(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "at": row["at"],
        "user": row["user_id"],
        "outcome": row["outcome"],
        "address": row["address"],
        **_basis(row["purpose"] or AUTHN, row["retain_until"], False, False),
        "read_by": [],
    }


def _flag_readers(conn: sqlite3.Connection, flag_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    found: dict[int, list[dict[str, Any]]] = {}
    if not flag_ids:
        return found
    for stored in audit_sql.about(conn, [f"flag:{i}" for i in flag_ids]):
        if stored.entry.action == "personal_data.read":
            flag_id = int(stored.entry.target.split(":", 1)[1])
            found.setdefault(flag_id, []).append(_reader(stored))
    return found


def _reader(stored: Any) -> dict[str, Any]:
    e = stored.entry
    return {
        "audit_id": stored.id,
        "at": e.at,
        "actor": e.actor,
        "purpose": e.details.get("purpose"),
    }


def audit_targets(subject: Subject, found: Found) -> list[str]:
    targets = {f"flag:{row['id']}" for row in found.flags}
    if subject.kind is not SubjectKind.ADDRESS:
        targets.add(subject.audit_target())
    if subject.kind in (SubjectKind.LICENSE, SubjectKind.ORG):
        targets |= {f"license:{row['license_id']}" for row in found.machines}
        targets |= {f"license:{row['license_id']}" for row in found.connections}
    if subject.kind is SubjectKind.LICENSE:
        targets.add(f"license:{subject.value}")
    return sorted(targets)


def audit_about(
    conn: sqlite3.Connection,
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


def audit_view(stored: Any) -> dict[str, Any]:
    e = stored.entry
    return {
        "id": stored.id,
        "at": e.at,
        "actor": e.actor,
        "action": e.action,
        "target": e.target,
        "outcome": e.outcome,
        "details": e.details,
    }
