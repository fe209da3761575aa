"""A customer leaving: everything stored for an organization, exported, then erased.

Its licenses, machines, seats, connection log, flags, usage history, staff accounts (with
their sessions, API tokens and login attempts) and the audit entries about it. Tables added
later that point (by foreign key) at its licenses, machines or staff accounts go with them.
"""

from typing import Any

from licmon.domain.access import ReadContext
from licmon.domain.audit import AuditEntry
from licmon.domain.models import Org
from licmon.domain.subjects import Subject, SubjectKind
from licmon.errors import NotFound
from licmon.store.postgres import audit_sql, catalog, dependants, dsr_sql
from licmon.store.postgres.audit_sql import Conn
from licmon.store.postgres.rowdicts import dicts
from licmon.store.sqlite.dsr_export import audit_view
from licmon.store.sqlite.org_data import FORMAT, HANDLED, STAFF_TABLES, VERSION, _license, _public


def org_in_scope(conn: Conn, ctx: ReadContext, slug: str) -> Org:
    """The organization, if the request's scope may see it (a customer: only its own)."""
    org = catalog.org_by_slug(conn, slug)
    if ctx.org_id is not None and ctx.org_id != org.id:
        raise NotFound(f"No organization '{slug[:40]}'.")
    return org


def export(conn: Conn, ctx: ReadContext, slug: str, now: int) -> dict[str, Any]:
    org = org_in_scope(conn, ctx, slug)
    licenses = catalog.list_licenses(conn, slug)
    ids = [lic.id for lic in licenses]
    data = dsr_sql.export(conn, ctx, Subject(SubjectKind.ORG, str(org.id)), now)
    users = _staff(conn, org.id)
    user_ids = [u["id"] for u in users]
    targets = (f"org:{org.id}", *(f"license:{i}" for i in ids), *(f"user:{i}" for i in user_ids))
    audit = {e["id"]: e for e in data["audit"]}
    audit |= {s.id: audit_view(s) for s in audit_sql.about(conn, list(targets))}
    return {
        "format": FORMAT,
        "version": VERSION,
        "generated_at": now,
        "organization": {
            "id": org.id,
            "slug": org.slug,
            "name": org.name,
            "ip_precision": org.ip_precision.value,
            "retention_days": org.retention_days,
        },
        "licenses": [_license(lic) for lic in licenses],
        "machines": data["machines"],
        "seats": data["seats"],
        "connections": data["records"],
        "flags": data["flags"],
        "usage_hourly": _rows(conn, "SELECT * FROM usage_hourly WHERE license_id = ANY(%s)", ids),
        "staff_accounts": users,
        "staff_sessions": _public(
            _rows(conn, "SELECT * FROM staff_sessions WHERE user_id = ANY(%s)", user_ids)
        ),
        "api_tokens": _public(
            _rows(conn, "SELECT * FROM api_tokens WHERE user_id = ANY(%s)", user_ids)
        ),
        "login_attempts": data["login_attempts"],
        "other": _other_tables(conn, ids, [m["id"] for m in data["machines"]], user_ids),
        "holds": data["holds"],
        "legal_holds": _holds_of(conn, org.id, ids, [m["id"] for m in data["machines"]]),
        "audit": [audit[i] for i in sorted(audit)],
    }


def erase(conn: Conn, ctx: ReadContext, slug: str, now: int) -> dict[str, Any]:
    """Erase the organization's data as a data-subject request; then, unless a hold keeps
    some of it, the organization itself: licenses, staff accounts, usage history."""
    org = org_in_scope(conn, ctx, slug)
    receipt = dsr_sql.erase(conn, ctx, Subject(SubjectKind.ORG, str(org.id)), now)
    if receipt["restricted"]:
        return {**receipt, "organization_erased": False}
    ids = [lic.id for lic in catalog.list_licenses(conn, slug)]
    user_ids = [u["id"] for u in _staff(conn, org.id)]
    tables = receipt["tables"]
    for parent, keys in (("staff_users", user_ids), ("licenses", ids)):
        for name, erased in dependants.erase(conn, parent, keys, HANDLED).items():
            tables.setdefault(name, {"erased": []})["erased"] += erased["erased"]
    tables["legal_holds"] = {"erased": _erase_past_holds(conn, org.id, ids, receipt)}
    tables["usage_hourly"] = {"erased": _erase_usage(conn, ids)}
    _execute(conn, "DELETE FROM staff_users WHERE id = ANY(%s)", user_ids)
    _execute(conn, "DELETE FROM licenses WHERE id = ANY(%s)", ids)
    conn.execute("DELETE FROM orgs WHERE id = %s", (org.id,))
    tables |= {"staff_users": {"erased": user_ids}, "licenses": {"erased": ids}}
    tables["orgs"] = {"erased": [org.id]}
    audit_sql.append(
        conn,
        AuditEntry(
            now,
            ctx.actor,
            "org.erase",
            f"org:{org.id}",
            "ok",
            {name: len(t.get("erased", [])) for name, t in tables.items()},
        ),
    )
    return {**receipt, "tables": tables, "organization_erased": True, "licenses_erased": len(ids)}


def _staff(conn: Conn, org_id: int) -> list[dict[str, Any]]:
    return dicts(
        conn,
        "SELECT id, username, roles, disabled, created_at, password_changed_at "
        "FROM staff_users WHERE org_id = %s ORDER BY id",
        (org_id,),
    )


def _other_tables(
    conn: Conn, ids: list[int], machine_ids: list[int], user_ids: list[int]
) -> dict[str, list[dict[str, Any]]]:
    known = HANDLED | set(STAFF_TABLES)
    other: dict[str, list[dict[str, Any]]] = {}
    for parent, keys in (("licenses", ids), ("machines", machine_ids), ("staff_users", user_ids)):
        for table, column in dependants.referencing(conn, parent):
            if table not in known:
                sql = f'SELECT * FROM "{table}" WHERE "{column}" = ANY(%s)'
                other.setdefault(table, []).extend(_public(_rows(conn, sql, keys)))
    return other


def _erase_usage(conn: Conn, ids: list[int]) -> list[Any]:
    sql = "SELECT license_id, hour FROM usage_hourly WHERE license_id = ANY(%s)"
    found = [[r["license_id"], r["hour"]] for r in _rows(conn, sql, ids)]
    _execute(conn, "DELETE FROM usage_hourly WHERE license_id = ANY(%s)", ids)
    return found


HOLDS_OF = """SELECT * FROM legal_holds WHERE (scope = 'org' AND scope_id = %s)
    OR (scope = 'license' AND scope_id = ANY(%s))
    OR (scope = 'machine' AND scope_id = ANY(%s)) ORDER BY id"""


def _holds_of(conn: Conn, org_id: int, ids: list[int], machines: list[int]) -> list[dict[str, Any]]:
    """Every legal hold, active or past, on the organization, its licenses or machines."""
    return dicts(conn, HOLDS_OF, (org_id, ids, machines))


def _erase_past_holds(
    conn: Conn, org_id: int, ids: list[int], receipt: dict[str, Any]
) -> list[int]:
    """Released or expired holds on the organization, its licenses or machines: their
    reason and citation may name it."""
    machines = receipt["tables"]["machines"]["erased"]
    found = [hold["id"] for hold in _holds_of(conn, org_id, ids, machines)]
    _execute(conn, "DELETE FROM legal_holds WHERE id = ANY(%s)", found)
    return found


def _rows(conn: Conn, sql: str, ids: list[int]) -> list[dict[str, Any]]:
    if not ids:
        return []
    return dicts(conn, sql, (ids,))


def _execute(conn: Conn, sql: str, ids: list[int]) -> None:
    if ids:
        conn.execute(sql, (ids,))
