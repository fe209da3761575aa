"""The admin API's SQL on PostgreSQL: idempotency records, license terms, machines, cursor
lists (the SQLite backend's ``admin_sql``, in PostgreSQL's words)."""

from typing import Any

import psycopg

from licmon.domain.audit import AuditEntry
from licmon.domain.idempotency import Claim, StoredAnswer
from licmon.domain.licenses import check_terms
from licmon.domain.models import License, LicenseTerms, SeatKind
from licmon.domain.redaction import redact_addresses
from licmon.domain.terms import changed_fields
from licmon.errors import NotFound
from licmon.store import outbox_events
from licmon.store.admin_base import FlagQuery, LicenseQuery, MachineRow
from licmon.store.catalog_rows import license_from_row, terms_row
from licmon.store.postgres import audit_sql, catalog, outbox
from licmon.store.postgres.rowdicts import dicts
from licmon.store.sqlite.report_sql import FLAG_COLUMNS, FLAG_FROM

Conn = psycopg.Connection[Any]
SCHEMA = (
    """CREATE TABLE idempotency_keys (
        owner bigint NOT NULL REFERENCES staff_users(id) ON DELETE CASCADE,
        route text NOT NULL,
        key_hash bytea NOT NULL,
        request_hash bytea NOT NULL,
        status integer,
        sealed bytea,
        created_at bigint NOT NULL,
        PRIMARY KEY (owner, route, key_hash)
    )""",
    "CREATE INDEX idempotency_keys_age ON idempotency_keys(created_at)",
)
SCOPE = "owner = %s AND route = %s AND key_hash = %s"
CLAIM = """INSERT INTO idempotency_keys (owner, route, key_hash, request_hash, created_at)
VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING"""
CLAIMED = f"SELECT request_hash, status, sealed FROM idempotency_keys WHERE {SCOPE}"
FINISH = f"UPDATE idempotency_keys SET status = %s, sealed = %s WHERE {SCOPE} AND status IS NULL"
DROP = f"DELETE FROM idempotency_keys WHERE {SCOPE} AND status IS NULL"
LICENSES_AFTER = (
    catalog.LICENSE_SELECT
    + """
WHERE (%(scope)s::bigint IS NULL OR l.org_id = %(scope)s::bigint)
  AND (%(org)s::text IS NULL OR o.slug = %(org)s::text)
  AND (%(product)s::text IS NULL OR p.code = %(product)s::text)
  AND (%(status)s::text IS NULL OR l.status = %(status)s::text)
  AND l.id > %(after)s ORDER BY l.id LIMIT %(limit)s"""
)
MACHINES = """SELECT m.id, m.license_id, m.fingerprint, m.first_seen, m.last_seen,
    s.kind, s.expires_at FROM machines m
LEFT JOIN seats s ON s.license_id = m.license_id AND s.machine_id = m.id
    AND s.expires_at > %(now)s
WHERE m.license_id = %(license)s AND m.id > %(after)s {extra} ORDER BY m.id LIMIT %(limit)s"""
FLAGS_AFTER = f"""SELECT {FLAG_COLUMNS} {FLAG_FROM}
WHERE f.restricted = 0 AND (%(scope)s::bigint IS NULL OR l.org_id = %(scope)s::bigint)
  AND (%(status)s::text IS NULL OR f.status = %(status)s::text)
  AND (%(kind)s::text IS NULL OR f.kind = %(kind)s::text)
  AND (%(license)s::bigint IS NULL OR f.license_id = %(license)s::bigint)
  AND f.id > %(after)s ORDER BY f.id LIMIT %(limit)s"""


def claim(conn: Conn, claim: Claim, forget_before: int) -> StoredAnswer | None:
    conn.execute("DELETE FROM idempotency_keys WHERE created_at < %s", (forget_before,))
    scope = (claim.owner, claim.route, claim.key_hash)
    if conn.execute(CLAIM, (*scope, claim.request_hash, claim.now)).rowcount == 1:
        return None
    row = conn.execute(CLAIMED, scope).fetchone()
    assert row is not None  # the conflicting row exists: it made the insert do nothing
    request_hash, status, sealed = row
    return StoredAnswer(bytes(request_hash), status, None if sealed is None else bytes(sealed))


def finish(conn: Conn, claim: Claim, status: int, sealed: bytes) -> None:
    conn.execute(FINISH, (status, sealed, claim.owner, claim.route, claim.key_hash))


def drop(conn: Conn, claim: Claim) -> None:
    conn.execute(DROP, (claim.owner, claim.route, claim.key_hash))


def update_terms(conn: Conn, license_id: int, terms: LicenseTerms, now: int, actor: str) -> License:
    check_terms(terms)
    before = catalog.license_by_id(conn, license_id)
    changed = changed_fields(before.terms, terms)
    if changed:
        row = terms_row(terms)
        assignments = ", ".join(f"{column} = %({column})s" for column in row)
        conn.execute(
            f"UPDATE licenses SET {assignments}, updated_at = %(now)s WHERE id = %(id)s".encode(),
            {**row, "now": now, "id": license_id},
        )
        details = {"changed": changed, "seats": terms.seats}
        audit_sql.append(
            conn, AuditEntry(now, actor, "license.terms", f"license:{license_id}", "ok", details)
        )
    after = catalog.license_by_id(conn, license_id)
    outbox_events.license_updated(outbox, conn, before, after, now)
    return after


def licenses_after(conn: Conn, query: LicenseQuery, after: int | None, limit: int) -> list[License]:
    params = {
        "scope": query.scope,
        "org": query.org,
        "product": query.product,
        "status": query.status,
        "after": after or 0,
        "limit": limit,
    }
    return [license_from_row(row) for row in dicts(conn, LICENSES_AFTER, params)]


def machines(
    conn: Conn, license_id: int, after: int | None, limit: int, now: int
) -> list[MachineRow]:
    params = {"license": license_id, "after": after or 0, "limit": limit, "now": now}
    return [_machine(row) for row in conn.execute(MACHINES.format(extra="").encode(), params)]


def deactivate(
    conn: Conn, license_id: int, machine_id: int, now: int, actor: str, reason: str
) -> MachineRow:
    before = _one_machine(conn, license_id, machine_id, now)
    conn.execute(
        "DELETE FROM seats WHERE license_id = %s AND machine_id = %s", (license_id, machine_id)
    )
    conn.execute(
        "UPDATE activations SET returned_at = %s "
        "WHERE license_id = %s AND machine_id = %s AND returned_at IS NULL",
        (now, license_id, machine_id),
    )
    details: dict[str, Any] = {"machine": machine_id, "seat": before.seat and before.seat.value}
    if reason.strip():
        details["reason"] = redact_addresses(reason.strip())
    audit_sql.append(
        conn, AuditEntry(now, actor, "machine.deactivate", f"license:{license_id}", "ok", details)
    )
    lic = catalog.license_by_id(conn, license_id)
    outbox_events.machine_deactivated(outbox, conn, lic, machine_id, before.seat is not None, now)
    return _one_machine(conn, license_id, machine_id, now)


def flags_after(
    conn: Conn, query: FlagQuery, after: int | None, limit: int
) -> list[dict[str, Any]]:
    params = {
        "scope": query.scope,
        "status": query.status,
        "kind": query.kind,
        "license": query.license_id,
        "after": after or 0,
        "limit": limit,
    }
    return dicts(conn, FLAGS_AFTER, params)


def _one_machine(conn: Conn, license_id: int, machine_id: int, now: int) -> MachineRow:
    params = {"license": license_id, "after": 0, "limit": 1, "now": now, "machine": machine_id}
    query = MACHINES.format(extra="AND m.id = %(machine)s").encode()
    row = conn.execute(query, params).fetchone()
    if row is None:
        raise NotFound(f"License {license_id} has no machine {machine_id}.")
    return _machine(row)


def _machine(row: tuple[Any, ...]) -> MachineRow:
    machine_id, license_id, fingerprint, first_seen, last_seen, kind, expires = row
    seat = SeatKind(kind) if kind is not None else None
    return MachineRow(machine_id, license_id, fingerprint, first_seen, last_seen, seat, expires)
