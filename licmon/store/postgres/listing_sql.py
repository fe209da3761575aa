"""The console's and the CLI's lists, one page at a time with the total: licenses (search
by id, organization or machine fingerprint), flags and the audit log (by actor, action,
target and period). Each list has a stable order, ending on the id."""

from typing import Any

from licmon.domain.audit import StoredEntry
from licmon.domain.paging import AuditFilter, PageRequest
from licmon.store.postgres.audit_sql import COLUMNS, Conn, stored
from licmon.store.postgres.report_sql import FLAG_COLUMNS, FLAG_FILTERS, FLAG_FROM
from licmon.store.postgres.rowdicts import dicts, scalar

SEARCH = """(%(q)s::text = '' OR l.id = %(qid)s::bigint
    OR o.slug LIKE %(like)s::text ESCAPE '\\' OR o.name LIKE %(like)s::text ESCAPE '\\'
    OR EXISTS (SELECT 1 FROM machines m WHERE m.license_id = l.id
        AND starts_with(m.fingerprint, %(q)s::text)))"""
LICENSE_WHERE = f"""FROM licenses l JOIN orgs o ON o.id = l.org_id
JOIN products p ON p.id = l.product_id
WHERE (%(org)s::bigint IS NULL OR l.org_id = %(org)s::bigint)
  AND (%(status)s::text = '' OR l.status = %(status)s::text) AND {SEARCH}"""
LICENSE_PAGE = f"""
SELECT l.id, o.slug AS org, o.name AS org_name, p.code AS product, l.status, l.seats,
    l.max_machines, l.valid_until,
    (SELECT count(*) FROM seats s WHERE s.license_id = l.id AND s.expires_at > %(now)s)
        AS in_use,
    (SELECT count(*) FROM machines m WHERE m.license_id = l.id) AS machines
{LICENSE_WHERE} ORDER BY l.id LIMIT %(limit)s OFFSET %(offset)s"""

FLAG_WHERE = f"{FLAG_FROM} WHERE f.restricted = 0 AND {FLAG_FILTERS}"
FLAG_PAGE = f"""SELECT {FLAG_COLUMNS} {FLAG_WHERE}
ORDER BY f.last_seen DESC, f.id DESC LIMIT %(limit)s OFFSET %(offset)s"""

AUDIT_WHERE = """FROM audit a
WHERE (%(actor)s::text = '' OR a.actor = %(actor)s::text)
  AND (%(target)s::text = '' OR a.target = %(target)s::text)
  AND (%(action)s::text = '' OR a.action = %(action)s::text
       OR (right(%(action)s::text, 1) = '.' AND starts_with(a.action, %(action)s::text)))
  AND (%(since)s::bigint IS NULL OR a.at >= %(since)s::bigint)
  AND (%(until)s::bigint IS NULL OR a.at <= %(until)s::bigint)"""
AUDIT_PAGE = f"""SELECT {", ".join("a." + c for c in COLUMNS.split(", "))} {AUDIT_WHERE}
ORDER BY a.id DESC LIMIT %(limit)s OFFSET %(offset)s"""


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _count(conn: Conn, where: str, params: dict[str, Any]) -> int:
    return int(scalar(conn, f"SELECT count(*) {where}", params))


def license_page(
    conn: Conn, org: int | None, search: str, status: str, page: PageRequest, now: int
) -> tuple[list[dict[str, Any]], int]:
    digits = search.lstrip("#")
    params = {
        "org": org,
        "status": status,
        "q": search,
        "qid": int(digits) if digits.isdigit() and len(digits) < 18 else None,
        "like": _like(search),
        "now": now,
        "limit": page.limit,
        "offset": page.offset,
    }
    return dicts(conn, LICENSE_PAGE, params), _count(conn, LICENSE_WHERE, params)


def flag_page(
    conn: Conn,
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
    return dicts(conn, FLAG_PAGE, params), _count(conn, FLAG_WHERE, params)


def audit_page(conn: Conn, wanted: AuditFilter, page: PageRequest) -> tuple[list[StoredEntry], int]:
    params = {
        "actor": _actor(conn, wanted.actor),
        "action": wanted.action,
        "target": wanted.target,
        "since": wanted.since,
        "until": wanted.until,
        "limit": page.limit,
        "offset": page.offset,
    }
    rows = [stored(row) for row in conn.execute(AUDIT_PAGE, params)]
    return rows, _count(conn, AUDIT_WHERE, params)


def _actor(conn: Conn, actor: str) -> str:
    """A user name stands for its ``user:<id>``; anything else is matched as written."""
    if not actor or ":" in actor:
        return actor
    found = scalar(conn, "SELECT id FROM staff_users WHERE username = %s", (actor,))
    return f"user:{found}" if found is not None else actor


def user_names(conn: Conn, actors: set[str]) -> dict[str, str]:
    """``user:<id>`` -> the user's name, for the people reading the log."""
    ids = [int(a[5:]) for a in actors if a.startswith("user:") and a[5:].isdigit()]
    if not ids:
        return {}
    rows = conn.execute("SELECT id, username FROM staff_users WHERE id = ANY(%s)", (ids,))
    return {f"user:{user_id}": name for user_id, name in rows}
