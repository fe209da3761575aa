"""The admin API's SQL: idempotency records, license terms, machines, cursor lists."""

import sqlite3
from typing import Any

from licmon.domain.audit import AuditEntry
from licmon.domain.idempotency import Claim, StoredAnswer
from licmon.domain.licenses import check_terms
from licmon.domain.models import License, LicenseTerms, SeatKind
from licmon.domain.terms import changed_fields
from licmon.errors import NotFound
from licmon.store import outbox_events
from licmon.store.admin_base import FlagQuery, LicenseQuery, MachineRow
from licmon.store.catalog_rows import license_from_row, terms_row
from licmon.store.sqlite import audit_sql, catalog, outbox
from licmon.store.sqlite.report_sql import FLAG_COLUMNS, FLAG_FROM
from licmon.store.sqlite.sqlrows import dicts

CLAIM = """INSERT INTO idempotency_keys (owner, route, key_hash, request_hash, created_at)
VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"""
CLAIMED = """SELECT request_hash, status, sealed FROM idempotency_keys
WHERE owner = ? AND route = ? AND key_hash = ?"""
FINISH = """UPDATE idempotency_keys SET status = ?, sealed = ?
WHERE owner = ? AND route = ? AND key_hash = ? AND status IS NULL"""
DROP = """DELETE FROM idempotency_keys
WHERE owner = ? AND route = ? AND key_hash = ? AND status IS NULL"""
LICENSES_AFTER = (
    catalog.LICENSE_SELECT
    + """
WHERE (:scope IS NULL OR l.org_id = :scope) AND (:org IS NULL OR o.slug = :org)
  AND (:product IS NULL OR p.code = :product) AND (:status IS NULL OR l.status = :status)
  AND l.id > :after ORDER BY l.id LIMIT :limit"""
)
MACHINES = """SELECT m.id, m.license_id, m.fingerprint, m.first_seen, m.last_seen,
    s.kind, s.expires_at FROM machines m
LEFT JOIN seats s ON s.license_id = m.license_id AND s.machine_id = m.id AND s.expires_at > :now
WHERE m.license_id = :license AND m.id > :after {extra} ORDER BY m.id LIMIT :limit"""
FLAGS_AFTER = f"""SELECT {FLAG_COLUMNS} {FLAG_FROM}
WHERE f.restricted = 0 AND (:scope IS NULL OR l.org_id = :scope)
  AND (:status IS NULL OR f.status = :status) AND (:kind IS NULL OR f.kind = :kind)
  AND (:license IS NULL OR f.license_id = :license) AND f.id > :after
ORDER BY f.id LIMIT :limit"""


def claim(conn: sqlite3.Connection, claim: Claim, forget_before: int) -> StoredAnswer | None:
    conn.execute("DELETE FROM idempotency_keys WHERE created_at < ?", (forget_before,))
    scope = (claim.owner, claim.route, claim.key_hash)
    if conn.execute(CLAIM, (*scope, claim.request_hash, claim.now)).rowcount == 1:
        return None
    request_hash, status, sealed = conn.execute(CLAIMED, scope).fetchone()
    return StoredAnswer(bytes(request_hash), status, None if sealed is None else bytes(sealed))


def finish(conn: sqlite3.Connection, claim: Claim, status: int, sealed: bytes) -> None:
    conn.execute(FINISH, (status, sealed, claim.owner, claim.route, claim.key_hash))


def drop(conn: sqlite3.Connection, claim: Claim) -> None:
    conn.execute(DROP, (claim.owner, claim.route, claim.key_hash))


def update_terms(
    conn: sqlite3.Connection, license_id: int, terms: LicenseTerms, now: int, actor: str
) -> License:
    check_terms(terms)
    before = catalog.license_by_id(conn, license_id)
    changed = changed_fields(before.terms, terms)
    if changed:
        row = terms_row(terms)
        assignments = ", ".join(f"{column} = :{column}" for column in row)
        conn.execute(
            f"UPDATE licenses SET {assignments}, updated_at = :now WHERE id = :id",
            {**row, "now": now, "id": license_id},
        )
        details = {"changed": changed, "seats": terms.seats}
        audit_sql.append(
            conn, AuditEntry(now, actor, "license.terms", f"license:{license_id}", "ok", details)
        )
    after = catalog.license_by_id(conn, license_id)
    outbox_events.license_updated(outbox, conn, before, after, now)
    return after


def licenses_after(
    conn: sqlite3.Connection, query: LicenseQuery, after: int | None, limit: int
) -> list[License]:
    params = {
        "scope": query.scope,
        "org": query.org,
        "product": query.product,
        "status": query.status,
        "after": after or 0,
        "limit": limit,
    }
    return [license_from_row(row) for row in dicts(conn.execute(LICENSES_AFTER, params))]


def machines(
    conn: sqlite3.Connection, license_id: int, after: int | None, limit: int, now: int
) -> list[MachineRow]:
    params = {"license": license_id, "after": after or 0, "limit": limit, "now": now}
    return [_machine(row) for row in conn.execute(MACHINES.format(extra=""), params)]


def deactivate(
    conn: sqlite3.Connection, license_id: int, machine_id: int, now: int, actor: str, reason: str
) -> MachineRow:
    before = _one_machine(conn, license_id, machine_id, now)
    conn.execute(
        "DELETE FROM seats WHERE license_id = ? AND machine_id = ?", (license_id, machine_id)
    )
    conn.execute(
        "UPDATE activations SET returned_at = ? "
        "WHERE license_id = ? AND machine_id = ? AND returned_at IS NULL",
        (now, license_id, machine_id),
    )
    details: dict[str, Any] = {"machine": machine_id, "seat": before.seat and before.seat.value}
    if reason.strip():
        details["reason"] = audit_sql.redact(reason.strip())
    audit_sql.append(
        conn, AuditEntry(now, actor, "machine.deactivate", f"license:{license_id}", "ok", details)
    )
    lic = catalog.license_by_id(conn, license_id)
    outbox_events.machine_deactivated(outbox, conn, lic, machine_id, before.seat is not None, now)
    return _one_machine(conn, license_id, machine_id, now)


def flags_after(
    conn: sqlite3.Connection, query: FlagQuery, after: int | None, limit: int
) -> list[dict[str, Any]]:
    params = {
        "scope": query.scope,
        "status": query.status,
        "kind": query.kind,
        "license": query.license_id,
        "after": after or 0,
        "limit": limit,
    }
    return dicts(conn.execute(FLAGS_AFTER, params))


def _one_machine(
    conn: sqlite3.Connection, license_id: int, machine_id: int, now: int
) -> MachineRow:
    params = {"license": license_id, "after": 0, "limit": 1, "now": now, "machine": machine_id}
    row = conn.execute(MACHINES.format(extra="AND m.id = :machine"), params).fetchone()
    if row is None:
        raise NotFound(f"License {license_id} has no machine {machine_id}.")
    return _machine(row)


def _machine(row: tuple[Any, ...]) -> MachineRow:
    machine_id, license_id, fingerprint, first_seen, last_seen, kind, expires = row
    seat = SeatKind(kind) if kind is not None else None
    return MachineRow(machine_id, license_id, fingerprint, first_seen, last_seen, seat, expires)
