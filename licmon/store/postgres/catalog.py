"""Organizations, products and licenses in PostgreSQL."""

from collections.abc import Mapping
from typing import Any

import psycopg
from psycopg import sql

from licmon.domain import webhooks
from licmon.domain.audit import SYSTEM_ACTOR, AuditEntry
from licmon.domain.licenses import check_status_change, check_terms
from licmon.domain.models import IpPrecision, License, LicenseStatus, LicenseTerms, Org, Product
from licmon.domain.redaction import redact_addresses
from licmon.errors import Conflict, NotFound
from licmon.store import outbox_events
from licmon.store.catalog_rows import license_from_row as _license
from licmon.store.catalog_rows import org_from_row as _org
from licmon.store.catalog_rows import terms_row as _terms_row
from licmon.store.postgres import audit_sql, outbox
from licmon.store.postgres.rowdicts import dicts

Conn = psycopg.Connection[Any]
ORG_COLUMNS = "id, slug, name, ip_precision, retention_days"
LICENSE_SELECT = """
SELECT l.*, p.code AS product_code, o.id AS o_id, o.slug AS o_slug, o.name AS o_name,
       o.ip_precision AS o_ip_precision, o.retention_days AS o_retention_days
FROM licenses l JOIN orgs o ON o.id = l.org_id JOIN products p ON p.id = l.product_id"""
INSERT_LICENSE = """
INSERT INTO licenses (org_id, product_id, key_hash, status, created_at, updated_at, seats,
    max_machines, valid_from, valid_until, allowed_countries, lease_seconds, grace_seconds,
    entitlements, max_borrow_days, max_offline_days, locked_machines, activation_limit,
    lock_moves, lock_move_days, overage_percent, max_processes, refuse_cloned)
VALUES (%(org_id)s, %(product_id)s, %(key_hash)s, %(status)s, %(created_at)s, %(updated_at)s,
    %(seats)s, %(max_machines)s, %(valid_from)s, %(valid_until)s, %(allowed_countries)s,
    %(lease_seconds)s, %(grace_seconds)s, %(entitlements)s, %(max_borrow_days)s,
    %(max_offline_days)s, %(locked_machines)s, %(activation_limit)s, %(lock_moves)s,
    %(lock_move_days)s, %(overage_percent)s, %(max_processes)s, %(refuse_cloned)s)
RETURNING id"""


def insert_org(
    conn: Conn,
    slug: str,
    name: str,
    precision: IpPrecision,
    retention: int,
    now: int,
    actor: str = SYSTEM_ACTOR,
) -> Org:
    _unique(conn, "orgs", "slug", slug, "an organization")
    conn.execute(
        "INSERT INTO orgs (slug, name, ip_precision, retention_days, created_at) "
        "VALUES (%s, %s, %s, %s, %s)",
        (slug, name, precision.value, retention, now),
    )
    org = org_by_slug(conn, slug)
    details = {"ip_precision": precision.value, "retention_days": retention}
    _audit(conn, now, actor, "org.add", f"org:{org.id}", details)
    return org


def update_org(
    conn: Conn, slug: str, changes: Mapping[str, Any], now: int, actor: str = SYSTEM_ACTOR
) -> Org:
    org = org_by_slug(conn, slug)
    if changes:
        assignments = sql.SQL(", ").join(
            sql.SQL("{} = {}").format(sql.Identifier(column), sql.Placeholder(column))
            for column in changes
        )
        conn.execute(
            sql.SQL("UPDATE orgs SET {}, policy_changed_at = %(now)s WHERE id = %(id)s").format(
                assignments
            ),
            {**changes, "now": now, "id": org.id},
        )
        _audit(conn, now, actor, "org.change", f"org:{org.id}", dict(changes))
    return org_by_slug(conn, slug)


def org_by_slug(conn: Conn, slug: str) -> Org:
    rows = dicts(conn, f"SELECT {ORG_COLUMNS} FROM orgs WHERE slug = %s", (slug,))
    if not rows:
        raise NotFound(f"No organization '{slug}'.")
    return _org(rows[0])


def list_orgs(conn: Conn) -> list[Org]:
    return [_org(row) for row in dicts(conn, f"SELECT {ORG_COLUMNS} FROM orgs ORDER BY slug")]


def insert_product(
    conn: Conn, code: str, name: str, now: int, actor: str = SYSTEM_ACTOR
) -> Product:
    _unique(conn, "products", "code", code, "a product")
    (product_id,) = conn.execute(
        "INSERT INTO products (code, name, created_at) VALUES (%s, %s, %s) RETURNING id",
        (code, name, now),
    ).fetchone() or (0,)
    _audit(conn, now, actor, "product.add", f"product:{product_id}", {})
    return Product(int(product_id), code, name)


def product_by_code(conn: Conn, code: str) -> Product:
    row = conn.execute("SELECT id, code, name FROM products WHERE code = %s", (code,)).fetchone()
    if row is None:
        raise NotFound(f"No product '{code}'.")
    return Product(row[0], row[1], row[2])


def list_products(conn: Conn) -> list[Product]:
    rows = conn.execute("SELECT id, code, name FROM products ORDER BY code").fetchall()
    return [Product(row[0], row[1], row[2]) for row in rows]


def insert_license(
    conn: Conn,
    org: str,
    product: str,
    terms: LicenseTerms,
    key: bytes,
    now: int,
    actor: str = SYSTEM_ACTOR,
) -> License:
    check_terms(terms)
    row = {
        "org_id": org_by_slug(conn, org).id,
        "product_id": product_by_code(conn, product).id,
        "key_hash": key,
        "status": LicenseStatus.ACTIVE.value,
        "created_at": now,
        "updated_at": now,
        **_terms_row(terms),
    }
    (license_id,) = conn.execute(INSERT_LICENSE, row).fetchone() or (0,)
    lic = license_by_id(conn, int(license_id))
    details = {"org": lic.org.id, "seats": terms.seats}
    _audit(conn, now, actor, "license.add", f"license:{lic.id}", details)
    outbox.emit(conn, webhooks.LICENSE_CREATED, webhooks.license_created(lic), now)
    return lic


def set_license_status(
    conn: Conn,
    license_id: int,
    status: LicenseStatus,
    now: int,
    actor: str = SYSTEM_ACTOR,
    reason: str = "",
) -> License:
    before = license_by_id(conn, license_id)
    check_status_change(before, status)
    conn.execute(
        "UPDATE licenses SET status = %s, updated_at = %s WHERE id = %s",
        (status.value, now, license_id),
    )
    why = reason.strip()
    details = {"from": before.status.value, "to": status.value}
    _audit(
        conn,
        now,
        actor,
        "license.status",
        f"license:{license_id}",
        details | ({"reason": redact_addresses(why)} if why else {}),
    )
    after = license_by_id(conn, license_id)
    outbox_events.license_status_changed(outbox, conn, before, after, now)
    return after


def license_by_id(conn: Conn, license_id: int) -> License:
    rows = dicts(conn, LICENSE_SELECT + " WHERE l.id = %s", (license_id,))
    if not rows:
        raise NotFound(f"No license {license_id}.")
    return _license(rows[0])


def license_by_key_hash(conn: Conn, key_hash: bytes) -> License | None:
    rows = dicts(conn, LICENSE_SELECT + " WHERE l.key_hash = %s", (key_hash,))
    return _license(rows[0]) if rows else None


def list_licenses(conn: Conn, org: str | None = None) -> list[License]:
    if org is None:
        rows = dicts(conn, LICENSE_SELECT + " ORDER BY l.id")
    else:
        org_by_slug(conn, org)
        rows = dicts(conn, LICENSE_SELECT + " WHERE o.slug = %s ORDER BY l.id", (org,))
    return [_license(row) for row in rows]


def load_catalog(conn: Conn) -> tuple[int, list[tuple[bytes, License]]]:
    """Every license with its key hash, and the catalog version it was read at (one
    snapshot: the caller's transaction is REPEATABLE READ)."""
    version = catalog_version(conn)
    rows = dicts(conn, LICENSE_SELECT)
    return version, [(bytes(row["key_hash"]), _license(row)) for row in rows]


def catalog_version(conn: Conn) -> int:
    row = conn.execute("SELECT value FROM meta WHERE key = 'catalog_version'").fetchone()
    return int(row[0]) if row else 0


def _audit(
    conn: Conn, now: int, actor: str, action: str, target: str, details: dict[str, Any]
) -> None:
    audit_sql.append(conn, AuditEntry(now, actor, action, target, "ok", details))


def _unique(conn: Conn, table: str, column: str, value: str, what: str) -> None:
    query = sql.SQL("SELECT 1 FROM {} WHERE {} = %s").format(
        sql.Identifier(table), sql.Identifier(column)
    )
    if conn.execute(query, (value,)).fetchone():
        raise Conflict(f"There is already {what} '{value}'.")
