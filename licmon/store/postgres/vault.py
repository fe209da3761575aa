"""The purpose gateway on PostgreSQL: the one way personal data is read.

Its functions run as the gateway role (``_gateway``): licmon's normal role has no SELECT
on the personal columns at all (column privileges), so no other path can read them. Every
read states a context, is refused unless complete and allowed (fail closed), returns only
rows of that organization whose purpose allows the read, and is written to the audit log
in the same transaction: if the audit write fails, the read fails.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from licmon.domain.access import ReadContext, check_read
from licmon.domain.audit import AuditEntry
from licmon.domain.purposes import readable
from licmon.domain.subjects import Subject, SubjectKind
from licmon.errors import Forbidden, NotFound
from licmon.store.postgres import audit_sql
from licmon.store.postgres.audit_sql import Conn
from licmon.store.postgres.rowdicts import dicts


def held_clause(license_id: str, org_id: str, machine_id: str | None = None) -> str:
    """SQL true while an active legal hold covers the row whose license, organization and
    (optionally) machine are these expressions (``%(now)s`` must be bound). A machine hold
    covers that machine's fingerprint under every license."""
    machine = (
        f"""
      OR (h.scope = 'machine' AND EXISTS (SELECT 1 FROM machines hm, machines cm
          WHERE hm.id = h.scope_id AND cm.id = {machine_id} AND cm.fingerprint = hm.fingerprint))"""
        if machine_id
        else ""
    )
    return f"""EXISTS (SELECT 1 FROM legal_holds h
    WHERE h.released_at IS NULL AND (h.expires_at IS NULL OR h.expires_at > %(now)s)
    AND ((h.scope = 'license' AND h.scope_id = {license_id}){machine}
      OR (h.scope = 'org' AND h.scope_id = {org_id})))"""


HELD = held_clause("c.license_id", "l.org_id", "c.machine_id")

VAULT_SELECT = f"""
SELECT c.id, c.license_id, l.org_id, c.machine_id, m.fingerprint AS machine, c.day,
       c.address, c.precision, c.country, c.city, c.latitude, c.longitude, c.accuracy_km,
       c.asn, c.anonymizer,
       c.first_seen, c.last_seen, c.checkins, c.denials, c.purpose, c.retain_until,
       c.restricted, c.erasure_requested_at, {HELD} AS held
FROM connections c JOIN licenses l ON l.id = c.license_id JOIN machines m ON m.id = c.machine_id
"""

_SUBJECT_FILTERS = {
    SubjectKind.LICENSE: "c.license_id = %(value)s::bigint",
    SubjectKind.MACHINE: "m.fingerprint = %(value)s",
    SubjectKind.ADDRESS: "c.address = %(value)s AND c.precision = 'full'",
    SubjectKind.ORG: "l.org_id = %(value)s::bigint",
}


@dataclass(frozen=True, slots=True)
class Selection:
    """Rows of one subject within a context's organization scope."""

    subject: Subject
    ctx: ReadContext
    now: int

    def where(self) -> tuple[str, dict[str, Any]]:
        params: dict[str, Any] = {"value": self.subject.value, "now": self.now}
        clauses = [_SUBJECT_FILTERS[self.subject.kind]]
        if self.subject.kind is SubjectKind.ADDRESS:
            params["value"], _ = self.subject.address_forms()
        if self.ctx.org_id is not None:
            clauses.append("l.org_id = %(org)s")
            params["org"] = self.ctx.org_id
        return " AND ".join(clauses), params


def read_connections(
    conn: Conn, selection: Selection, *, limit: int | None = 10_000
) -> list[dict[str, Any]]:
    """Personal data of a subject, for the context's purpose; audited in this transaction."""
    check_read(selection.ctx)
    rows = [
        row
        for row in select_rows(conn, selection, limit)
        if _readable(row, selection.ctx, selection.now)
    ]
    record_read(conn, selection, [row["id"] for row in rows])
    return rows


def select_rows(conn: Conn, selection: Selection, limit: int | None) -> list[dict[str, Any]]:
    """The subject's rows in scope (``limit`` None: all of them)."""
    where, params = selection.where()
    bound = "" if limit is None else f" LIMIT {int(limit)}"
    return dicts(conn, f"{VAULT_SELECT} WHERE {where} ORDER BY c.id{bound}", params)


def record_read(conn: Conn, selection: Selection, row_ids: Sequence[int]) -> None:
    ctx = selection.ctx
    audit_read(conn, ctx, selection.now, selection.subject.audit_target(), {"rows": list(row_ids)})


def reads_of(conn: Conn, row_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    """Who read each of these connection rows, from the audit log."""
    found: dict[int, list[dict[str, Any]]] = {row_id: [] for row_id in row_ids}
    if not row_ids:
        return found
    cursor = conn.execute(
        "SELECT a.id, a.at, a.actor, a.details::jsonb ->> 'purpose', j.value::bigint "
        "FROM audit a, jsonb_array_elements_text(a.details::jsonb -> 'rows') j "
        "WHERE a.action = 'personal_data.read' AND jsonb_typeof(a.details::jsonb -> 'rows') "
        "= 'array' AND j.value::bigint = ANY(%s) ORDER BY a.id",
        (list(row_ids),),
    )
    for audit_id, at, actor, purpose, row_id in cursor:
        found[int(row_id)].append(
            {"audit_id": audit_id, "at": at, "actor": actor, "purpose": purpose}
        )
    return found


# -- abuse flags: a flag's evidence, and the history detectors rebuild their windows from
FLAG_SELECT = """SELECT f.*, l.org_id FROM flags f LEFT JOIN licenses l ON l.id = f.license_id
WHERE f.id = %s"""
DETECTOR_HISTORY = """
SELECT c.id, c.license_id, m.fingerprint AS machine, c.address, c.country, c.latitude,
       c.longitude, c.accuracy_km, c.asn, c.anonymizer, c.last_seen, c.purpose, c.restricted,
       c.retain_until
FROM connections c JOIN machines m ON m.id = c.machine_id
WHERE c.last_seen >= %s AND c.checkins > 0 ORDER BY c.last_seen DESC LIMIT %s"""


def read_flag(conn: Conn, ctx: ReadContext, flag_id: int, now: int) -> dict[str, Any]:
    """One flag with its evidence, for the context's purpose; audited in this transaction."""
    check_read(ctx)
    rows = dicts(conn, FLAG_SELECT, (flag_id,))
    if not rows or (ctx.org_id is not None and rows[0]["org_id"] != ctx.org_id):
        raise NotFound(f"No flag {flag_id}.")
    row = rows[0]
    if not _readable(row, ctx, now):
        raise Forbidden(f"The evidence of flag {flag_id} may not be read for {ctx.purpose}.")
    audit_read(conn, ctx, now, f"flag:{flag_id}", {"flags": [flag_id]})
    row["evidence"] = json.loads(row["evidence"]) if row["evidence"] else None
    return row


def detector_history(
    conn: Conn, ctx: ReadContext, since: int, limit: int, now: int
) -> list[dict[str, Any]]:
    """Connection rows seen since ``since`` (newest ``limit``), oldest first, for detectors
    rebuilding their windows; one audit entry for the whole read."""
    check_read(ctx)
    rows = dicts(conn, DETECTOR_HISTORY, (since, int(limit)))
    rows = [r for r in rows if _readable(r, ctx, now)]
    if rows:  # nothing read, nothing to account for
        audit_read(conn, ctx, now, "detectors", {"connections": len(rows), "since": since})
    rows.reverse()
    return rows


def _readable(row: dict[str, Any], ctx: ReadContext, now: int) -> bool:
    """The row's purpose and restriction allow the read, and its deadline has not passed
    (past it, only the legal hold that keeps the row may read it)."""
    expired = int(row["retain_until"]) <= now
    return readable(row["purpose"], bool(row["restricted"]), ctx.purpose, expired=expired)


def audit_read(conn: Conn, ctx: ReadContext, now: int, target: str, what: dict[str, Any]) -> None:
    details = {
        "purpose": ctx.purpose,
        "role": ctx.role.value if ctx.role else None,
        "justification": audit_sql.redact(ctx.justification),
        "org_scope": ctx.org_id,
        **what,
    }
    audit_sql.append(conn, AuditEntry(now, ctx.actor, "personal_data.read", target, "ok", details))
