"""A customer leaving: everything stored for an organization, exported, then erased."""

import sqlite3
from typing import Any

from licmon.domain.access import ReadContext
from licmon.domain.audit import AuditEntry
from licmon.domain.subjects import Subject, SubjectKind
from licmon.store import audit_sql, dsr_sql
from licmon.store import sqlite_catalog as catalog
from licmon.store.personal import privileged
from licmon.store.sqlrows import dicts

ORG_TABLES_IN_ERASE_ORDER = ("seats", "flags", "machines")


def export(conn: sqlite3.Connection, ctx: ReadContext, slug: str, now: int) -> dict[str, Any]:
    org = catalog.org_by_slug(conn, slug)
    licenses = catalog.list_licenses(conn, slug)
    ids = [lic.id for lic in licenses]
    subject_data = dsr_sql.export(conn, ctx, Subject(SubjectKind.ORG, slug), now)
    return {
        "organization": {
            "id": org.id,
            "slug": org.slug,
            "name": org.name,
            "ip_precision": org.ip_precision.value,
            "retention_days": org.retention_days,
        },
        "licenses": [_license(lic) for lic in licenses],
        "machines": _rows(
            conn,
            "SELECT id, license_id, fingerprint, first_seen, last_seen "
            "FROM machines WHERE license_id IN ({})",
            ids,
        ),
        "connections": subject_data["records"],
        "flags": _flags(conn, ids),
        "holds": subject_data["holds"],
        "audit": [_audit(e) for e in _audit_about(conn, org.id, ids)],
    }


def erase(conn: sqlite3.Connection, ctx: ReadContext, subject: Subject, now: int) -> dict[str, Any]:
    """Erase the organization's connection log; then, unless a hold keeps some of it, the
    organization itself with its licenses and machines."""
    org = catalog.org_by_slug(conn, subject.value)
    receipt = dsr_sql.erase(conn, ctx, subject, now)
    ids = [lic.id for lic in catalog.list_licenses(conn, subject.value)]
    if receipt["restricted"]:
        return {**receipt, "organization_erased": False}
    for table in ORG_TABLES_IN_ERASE_ORDER:
        if _exists(conn, table):
            _execute(conn, f"DELETE FROM {table} WHERE license_id IN ({{}})", ids)
    _execute(conn, "DELETE FROM licenses WHERE id IN ({})", ids)
    conn.execute("DELETE FROM orgs WHERE id = ?", (org.id,))
    audit_sql.append(
        conn, AuditEntry(now, ctx.actor, "org.erase", f"org:{org.id}", "ok", {"licenses": len(ids)})
    )
    return {**receipt, "organization_erased": True, "licenses_erased": len(ids)}


def _license(lic: Any) -> dict[str, Any]:
    terms = lic.terms
    return {
        "id": lic.id,
        "product": lic.product,
        "status": lic.status.value,
        "seats": terms.seats,
        "max_machines": terms.max_machines,
        "valid_from": terms.valid_from,
        "valid_until": terms.valid_until,
        "allowed_countries": sorted(terms.allowed_countries),
        "entitlements": list(terms.entitlements),
        "created_at": lic.created_at,
    }


def _flags(conn: sqlite3.Connection, ids: list[int]) -> list[dict[str, Any]]:
    if not _exists(conn, "flags"):
        return []
    with privileged(conn):
        return _rows(conn, "SELECT * FROM flags WHERE license_id IN ({})", ids)


def _audit_about(conn: sqlite3.Connection, org_id: int, ids: list[int]) -> list[Any]:
    slug = conn.execute("SELECT slug FROM orgs WHERE id = ?", (org_id,)).fetchone()[0]
    targets = [f"org:{org_id}", f"org:{slug}", *(f"license:{i}" for i in ids)]
    return audit_sql.about(conn, targets)


def _audit(stored: Any) -> dict[str, Any]:
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


def _exists(conn: sqlite3.Connection, table: str) -> bool:
    row = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).fetchone()
    return row is not None


def _rows(conn: sqlite3.Connection, sql: str, ids: list[int]) -> list[dict[str, Any]]:
    if not ids:
        return []
    return dicts(conn.execute(sql.format(",".join("?" * len(ids))), ids))


def _execute(conn: sqlite3.Connection, sql: str, ids: list[int]) -> None:
    if ids:
        conn.execute(sql.format(",".join("?" * len(ids))), ids)
