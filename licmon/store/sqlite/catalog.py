"""Organizations, products and licenses in SQLite, through sqlite-utils."""

import sqlite3
from collections.abc import Iterable, Mapping
from typing import Any

from sqlite_utils import Database

from licmon.domain.audit import SYSTEM_ACTOR, AuditEntry
from licmon.domain.licenses import check_status_change, check_terms
from licmon.domain.models import (
    IpPrecision,
    License,
    LicenseStatus,
    LicenseTerms,
    Org,
    Product,
)
from licmon.errors import Conflict, NotFound
from licmon.store.catalog_rows import license_from_row as _license
from licmon.store.catalog_rows import org_from_row as _org
from licmon.store.catalog_rows import terms_row as _terms_row
from licmon.store.sqlite import audit_sql
from licmon.store.sqlite.sqlrows import dicts

LICENSE_SELECT = """
SELECT l.*, p.code AS product_code, o.id AS o_id, o.slug AS o_slug, o.name AS o_name,
       o.ip_precision AS o_ip_precision, o.retention_days AS o_retention_days
FROM licenses l JOIN orgs o ON o.id = l.org_id JOIN products p ON p.id = l.product_id"""


def db_of(conn: sqlite3.Connection) -> Database:
    return Database(conn, recursive_triggers=False, execute_plugins=False)


def insert_org(
    conn: sqlite3.Connection,
    slug: str,
    name: str,
    precision: IpPrecision,
    retention: int,
    now: int,
    actor: str = SYSTEM_ACTOR,
) -> Org:
    _unique(conn, "orgs", "slug", slug, "an organization")
    db_of(conn).table("orgs").insert(
        {
            "slug": slug,
            "name": name,
            "ip_precision": precision.value,
            "retention_days": retention,
            "created_at": now,
        }
    )
    org = org_by_slug(conn, slug)
    _audit(
        conn,
        now,
        actor,
        "org.add",
        f"org:{org.id}",
        {"ip_precision": precision.value, "retention_days": retention},
    )
    return org


def update_org(
    conn: sqlite3.Connection,
    slug: str,
    changes: Mapping[str, Any],
    now: int,
    actor: str = SYSTEM_ACTOR,
) -> Org:
    org = org_by_slug(conn, slug)
    if changes:
        db_of(conn).table("orgs").update(org.id, {**changes, "policy_changed_at": now})
        _audit(conn, now, actor, "org.change", f"org:{org.id}", dict(changes))
    return org_by_slug(conn, slug)


def org_by_slug(conn: sqlite3.Connection, slug: str) -> Org:
    rows = list(db_of(conn).table("orgs").rows_where("slug = ?", [slug]))
    if not rows:
        raise NotFound(f"No organization '{slug}'.")
    return _org(rows[0])


def list_orgs(conn: sqlite3.Connection) -> list[Org]:
    return [_org(row) for row in db_of(conn).table("orgs").rows_where(order_by="slug")]


def insert_product(
    conn: sqlite3.Connection, code: str, name: str, now: int, actor: str = SYSTEM_ACTOR
) -> Product:
    _unique(conn, "products", "code", code, "a product")
    db_of(conn).table("products").insert({"code": code, "name": name, "created_at": now})
    product = product_by_code(conn, code)
    _audit(conn, now, actor, "product.add", f"product:{product.id}", {})
    return product


def product_by_code(conn: sqlite3.Connection, code: str) -> Product:
    rows = list(db_of(conn).table("products").rows_where("code = ?", [code]))
    if not rows:
        raise NotFound(f"No product '{code}'.")
    return Product(rows[0]["id"], rows[0]["code"], rows[0]["name"])


def list_products(conn: sqlite3.Connection) -> list[Product]:
    rows = db_of(conn).table("products").rows_where(order_by="code")
    return [Product(row["id"], row["code"], row["name"]) for row in rows]


def insert_license(
    conn: sqlite3.Connection,
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
    table = db_of(conn).table("licenses").insert(row)
    lic = license_by_id(conn, int(table.last_rowid or 0))
    _audit(
        conn,
        now,
        actor,
        "license.add",
        f"license:{lic.id}",
        {"org": lic.org.id, "seats": terms.seats},
    )
    return lic


def set_license_status(
    conn: sqlite3.Connection,
    license_id: int,
    status: LicenseStatus,
    now: int,
    actor: str = SYSTEM_ACTOR,
    reason: str = "",
) -> License:
    before = license_by_id(conn, license_id)
    check_status_change(before, status)
    conn.execute(
        "UPDATE licenses SET status = ?, updated_at = ? WHERE id = ?",
        (status.value, now, license_id),
    )
    _audit(
        conn,
        now,
        actor,
        "license.status",
        f"license:{license_id}",
        {"from": before.status.value, "to": status.value}
        | ({"reason": audit_sql.redact(reason.strip())} if reason.strip() else {}),
    )
    return license_by_id(conn, license_id)


def license_by_id(conn: sqlite3.Connection, license_id: int) -> License:
    rows = _query(conn, LICENSE_SELECT + " WHERE l.id = ?", [license_id])
    if not rows:
        raise NotFound(f"No license {license_id}.")
    return _license(rows[0])


def license_by_key_hash(conn: sqlite3.Connection, key_hash: bytes) -> License | None:
    rows = _query(conn, LICENSE_SELECT + " WHERE l.key_hash = ?", [key_hash])
    return _license(rows[0]) if rows else None


def list_licenses(conn: sqlite3.Connection, org: str | None = None) -> list[License]:
    if org is None:
        rows = _query(conn, LICENSE_SELECT + " ORDER BY l.id", [])
    else:
        org_by_slug(conn, org)
        rows = _query(conn, LICENSE_SELECT + " WHERE o.slug = ? ORDER BY l.id", [org])
    return [_license(row) for row in rows]


def load_catalog(conn: sqlite3.Connection) -> tuple[int, list[tuple[bytes, License]]]:
    """Every license with its key hash, and the catalog version it was read at."""
    version = catalog_version(conn)
    rows = _query(conn, LICENSE_SELECT, [])
    return version, [(bytes(row["key_hash"]), _license(row)) for row in rows]


def catalog_version(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT value FROM meta WHERE key = 'catalog_version'").fetchone()
    return int(row[0])


def _audit(
    conn: sqlite3.Connection,
    now: int,
    actor: str,
    action: str,
    target: str,
    details: dict[str, Any],
) -> None:
    audit_sql.append(conn, AuditEntry(now, actor, action, target, "ok", details))


def _unique(conn: sqlite3.Connection, table: str, column: str, value: str, what: str) -> None:
    if conn.execute(f"SELECT 1 FROM {table} WHERE {column} = ?", (value,)).fetchone():
        raise Conflict(f"There is already {what} '{value}'.")


def _query(conn: sqlite3.Connection, sql: str, params: Iterable[Any]) -> list[dict[str, Any]]:
    return dicts(conn.execute(sql, list(params)))
