"""The console's and the CLI's lists, one page at a time with the total: licenses (search
by id, organization or machine fingerprint), flags and the audit log (by actor, action,
target and period). Each list has a stable order, ending on the id."""

import sqlite3
from typing import Any

from licmon.domain.audit import StoredEntry
from licmon.domain.ids import id_or_none
from licmon.domain.paging import AuditFilter, PageRequest
from licmon.store.sqlite.audit_sql import _stored as stored_entry
from licmon.store.sqlite.report_sql import FLAG_COLUMNS, FLAG_FROM
from licmon.store.sqlite.sqlrows import dicts

SEARCH = """(:q = '' OR l.id = :qid
    OR o.slug LIKE :like ESCAPE '\\' OR o.name LIKE :like ESCAPE '\\'
    OR EXISTS (SELECT 1 FROM machines m WHERE m.license_id = l.id
        AND m.fingerprint >= :q AND m.fingerprint < :q_end))"""
LICENSE_WHERE = f"""FROM licenses l JOIN orgs o ON o.id = l.org_id
JOIN products p ON p.id = l.product_id
WHERE (:org IS NULL OR l.org_id = :org) AND (:status = '' OR l.status = :status) AND {SEARCH}"""
LICENSE_PAGE = f"""
SELECT l.id, o.slug AS org, o.name AS org_name, p.code AS product, l.status, l.seats,
    l.max_machines, l.valid_until,
    (SELECT count(*) FROM seats s WHERE s.license_id = l.id AND s.expires_at > :now) AS in_use,
    (SELECT count(*) FROM machines m WHERE m.license_id = l.id) AS machines
{LICENSE_WHERE} ORDER BY l.id LIMIT :limit OFFSET :offset"""

FLAG_WHERE = f"""{FLAG_FROM}
WHERE f.restricted = 0 AND (:org IS NULL OR l.org_id = :org)
  AND (:status IS NULL OR f.status = :status)
  AND (:kind IS NULL OR f.kind = :kind) AND (:license IS NULL OR f.license_id = :license)"""
FLAG_PAGE = f"""SELECT {FLAG_COLUMNS} {FLAG_WHERE}
ORDER BY f.last_seen DESC, f.id DESC LIMIT :limit OFFSET :offset"""

AUDIT_WHERE = """FROM audit a
WHERE (:actor = '' OR a.actor = :actor) AND (:target = '' OR a.target = :target)
  AND (:action = '' OR a.action = :action OR (substr(:action, -1) = '.'
       AND substr(a.action, 1, length(:action)) = :action))
  AND (:since IS NULL OR a.at >= :since) AND (:until IS NULL OR a.at <= :until)"""
AUDIT_PAGE = f"""SELECT a.id, a.at, a.actor, a.action, a.target, a.outcome, a.details,
    a.prev_hash, a.hash {AUDIT_WHERE} ORDER BY a.id DESC LIMIT :limit OFFSET :offset"""


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _count(conn: sqlite3.Connection, where: str, params: dict[str, Any]) -> int:
    return int(conn.execute(f"SELECT count(*) {where}", params).fetchone()[0])


def license_page(
    conn: sqlite3.Connection, org: int | None, search: str, status: str, page: PageRequest, now: int
) -> tuple[list[dict[str, Any]], int]:
    params = {
        "org": org,
        "status": status,
        "q": search,
        "qid": id_or_none(search.lstrip("#")),
        "like": _like(search),
        "q_end": search + "\U0010ffff",
        "now": now,
        "limit": page.limit,
        "offset": page.offset,
    }
    return dicts(conn.execute(LICENSE_PAGE, params)), _count(conn, LICENSE_WHERE, params)


def flag_page(
    conn: sqlite3.Connection,
    org: int | None,
    status: str | None,
    kind: str | None,
    license_id: int | None,
    page: PageRequest,
) -> tuple[list[dict[str, Any]], int]:
    params = {
        "org": org,
        "status": status,
        "kind": kind,
        "license": license_id,
        "limit": page.limit,
        "offset": page.offset,
    }
    return dicts(conn.execute(FLAG_PAGE, params)), _count(conn, FLAG_WHERE, params)


def audit_page(
    conn: sqlite3.Connection, wanted: AuditFilter, page: PageRequest
) -> tuple[list[StoredEntry], int]:
    params = {
        "actor": _actor(conn, wanted.actor),
        "action": wanted.action,
        "target": wanted.target,
        "since": wanted.since,
        "until": wanted.until,
        "limit": page.limit,
        "offset": page.offset,
    }
    rows = [stored_entry(row) for row in conn.execute(AUDIT_PAGE, params)]
    return rows, _count(conn, AUDIT_WHERE, params)


def _actor(conn: sqlite3.Connection, actor: str) -> str:
    """A user name stands for its ``user:<id>``; anything else is matched as written."""
    if not actor or ":" in actor:
        return actor
    row = conn.execute("SELECT id FROM staff_users WHERE username = ?", (actor,)).fetchone()
    return f"user:{row[0]}" if row else actor


def user_names(conn: sqlite3.Connection, actors: set[str]) -> dict[str, str]:
    """``user:<id>`` -> the user's name, for the people reading the log."""
    ids = [i for a in actors if a.startswith("user:") and (i := id_or_none(a[5:])) is not None]
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    rows = conn.execute(f"SELECT id, username FROM staff_users WHERE id IN ({marks})", ids)
    return {f"user:{user_id}": name for user_id, name in rows}
