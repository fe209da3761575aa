"""Where a data subject appears: every table, matched exactly, within the request's scope.

An address matches rows that hold that host. Rows kept only at network precision that
merely share its network may be anyone's in that network: they are *ambiguous*, reported
by table and row id, never exported with the subject's data nor erased. Runs as the
gateway role (it reads the personal columns).
"""

import json
from typing import Any

from licmon.domain.access import ReadContext
from licmon.domain.subjects import Subject, SubjectKind
from licmon.store.postgres import vault
from licmon.store.postgres.audit_sql import Conn
from licmon.store.postgres.rowdicts import dicts
from licmon.store.sqlite.dsr_find import Found

__all__ = ["Found", "find"]


def _atom(value: str) -> str:
    """A flag whose source network or any evidence value is exactly ``value``."""
    return (
        f"(f.source_network = {value} OR coalesce(jsonb_path_exists(f.evidence::jsonb, "
        f"'$.** ? (@ == $v)', jsonb_build_object('v', {value}::text)), FALSE))"
    )


_FLAG_FILTERS = {
    SubjectKind.LICENSE: "f.license_id = %(value)s::bigint",
    SubjectKind.MACHINE: _atom("%(value)s"),
    SubjectKind.ADDRESS: _atom("%(value)s"),
    SubjectKind.ORG: "l.org_id = %(value)s::bigint",
}
FLAG_HELD = vault.held_clause("f.license_id", "l.org_id")
FLAGS = f"""SELECT f.*, l.org_id, {FLAG_HELD} AS held
FROM flags f LEFT JOIN licenses l ON l.id = f.license_id"""
MACHINES = f"""SELECT m.*, l.org_id, {vault.held_clause("m.license_id", "l.org_id", "m.id")} AS held
FROM machines m JOIN licenses l ON l.id = m.license_id"""
_MACHINE_FILTERS = {
    SubjectKind.LICENSE: "m.license_id = %(value)s::bigint",
    SubjectKind.MACHINE: "m.fingerprint = %(value)s",
    SubjectKind.ADDRESS: "m.id = ANY(%(machines)s::bigint[])",
    SubjectKind.ORG: "l.org_id = %(value)s::bigint",
}
SEATS = f"""SELECT s.*, {vault.held_clause("s.license_id", "l.org_id", "s.machine_id")} AS held
FROM seats s JOIN licenses l ON l.id = s.license_id
WHERE s.machine_id = ANY(%(machines)s::bigint[]) ORDER BY s.machine_id"""
ORG_STAFF = "SELECT id FROM staff_users WHERE org_id = {}::bigint"
ATTEMPTS = "SELECT a.* FROM login_attempts a WHERE "


def find(conn: Conn, ctx: ReadContext, subject: Subject, now: int) -> Found:
    params = _params(ctx, subject, now)
    connections = vault.select_rows(conn, vault.Selection(subject, ctx, now), limit=None)
    params["machines"] = sorted({r["machine_id"] for r in connections})
    machines = _machines(conn, subject, params)
    params["machines"] = [m["id"] for m in machines]
    found = Found(
        connections,
        _flags(conn, _FLAG_FILTERS[subject.kind], params),
        machines,
        dicts(conn, SEATS, params),
        _attempts(conn, subject, params, "value"),
    )
    if subject.kind is SubjectKind.ADDRESS:
        found.ambiguous = _ambiguous(conn, params)
    return found


def _params(ctx: ReadContext, subject: Subject, now: int) -> dict[str, Any]:
    params: dict[str, Any] = {"value": subject.value, "now": now, "org": ctx.org_id}
    if subject.kind is SubjectKind.ADDRESS:
        params["value"], params["network"] = subject.address_forms()
    return params


def _scoped(where: str, params: dict[str, Any]) -> str:
    return where if params["org"] is None else f"({where}) AND l.org_id = %(org)s"


def _flags(conn: Conn, where: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    found = dicts(conn, f"{FLAGS} WHERE {_scoped(where, params)} ORDER BY f.id", params)
    for row in found:
        row["evidence"] = json.loads(row["evidence"]) if row["evidence"] else None
    return found


def _machines(conn: Conn, subject: Subject, params: dict[str, Any]) -> list[dict[str, Any]]:
    where = _scoped(_MACHINE_FILTERS[subject.kind], params)
    return dicts(conn, f"{MACHINES} WHERE {where} ORDER BY m.id", params)


def _attempts(
    conn: Conn, subject: Subject, params: dict[str, Any], form: str
) -> list[dict[str, Any]]:
    """Staff login attempts: from the address, or of an organization's staff accounts."""
    if subject.kind is SubjectKind.ORG:
        where = f"a.user_id IN ({ORG_STAFF.format('%(value)s')})"
    elif subject.kind is SubjectKind.ADDRESS:
        where = f"a.address = %({form})s"
        if params["org"] is not None:
            where += f" AND a.user_id IN ({ORG_STAFF.format('%(org)s')})"
    else:
        return []
    return dicts(conn, f"{ATTEMPTS}{where} ORDER BY a.id", params)


def _ambiguous(conn: Conn, params: dict[str, Any]) -> dict[str, list[int]]:
    network_rows = _scoped("c.address = %(network)s AND c.precision = 'network'", params)
    connections = conn.execute(
        "SELECT c.id FROM connections c JOIN licenses l ON l.id = c.license_id "
        f"WHERE {network_rows} ORDER BY c.id",
        params,
    ).fetchall()
    flags = _flags(conn, f"{_atom('%(network)s')} AND NOT {_atom('%(value)s')}", params)
    attempts = _attempts(conn, Subject(SubjectKind.ADDRESS, ""), params, "network")
    return {
        "connections": [r[0] for r in connections],
        "flags": [f["id"] for f in flags],
        "login_attempts": [a["id"] for a in attempts],
    }
