"""Where a data subject appears: every table, matched exactly, within the request's scope.

An address matches rows that hold that host. Rows kept only at network precision that
merely share its network may be anyone's in that network: they are *ambiguous*, reported
by table and row id, never exported with the subject's data nor erased.
"""

import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from licmon.domain.access import ReadContext
from licmon.domain.subjects import Subject, SubjectKind
from licmon.store.sqlite import vault
from licmon.store.sqlite.personal import privileged
from licmon.store.sqlite.sqlrows import dicts

AMBIGUOUS_TABLES = ("connections", "flags", "login_attempts")


@dataclass
class Found:
    """The subject's rows, table by table (each row a dict with ``held`` where holds apply)."""

    connections: list[dict[str, Any]]
    flags: list[dict[str, Any]]
    machines: list[dict[str, Any]]
    seats: list[dict[str, Any]]
    login_attempts: list[dict[str, Any]]
    ambiguous: dict[str, list[int]] = field(default_factory=dict)


def _atom(value: str) -> str:
    """A flag whose source network or any evidence value is exactly ``value``."""
    return (
        f"(f.source_network = {value} OR EXISTS (SELECT 1 FROM json_tree(f.evidence) t "
        f"WHERE t.atom = {value}))"
    )


_FLAG_FILTERS = {
    SubjectKind.LICENSE: "f.license_id = :value",
    SubjectKind.MACHINE: _atom(":value"),
    SubjectKind.ADDRESS: _atom(":value"),
    SubjectKind.ORG: "l.org_id = :value",
}
FLAG_HELD = vault.held_clause("f.license_id", "l.org_id")
FLAGS = f"""SELECT f.*, l.org_id, {FLAG_HELD} AS held
FROM flags f LEFT JOIN licenses l ON l.id = f.license_id"""
MACHINES = f"""SELECT m.*, l.org_id, {vault.held_clause("m.license_id", "l.org_id", "m.id")} AS held
FROM machines m JOIN licenses l ON l.id = m.license_id"""
_MACHINE_FILTERS = {
    SubjectKind.LICENSE: "m.license_id = :value",
    SubjectKind.MACHINE: "m.fingerprint = :value",
    SubjectKind.ADDRESS: "m.id IN (SELECT value FROM json_each(:machines))",
    SubjectKind.ORG: "l.org_id = :value",
}
SEATS = f"""SELECT s.*, {vault.held_clause("s.license_id", "l.org_id", "s.machine_id")} AS held
FROM seats s JOIN licenses l ON l.id = s.license_id
WHERE s.machine_id IN (SELECT value FROM json_each(:machines)) ORDER BY s.machine_id"""
ORG_STAFF = "SELECT id FROM staff_users WHERE org_id = {}"
ATTEMPTS = "SELECT a.* FROM login_attempts a WHERE "


def find(conn: sqlite3.Connection, ctx: ReadContext, subject: Subject, now: int) -> Found:
    params = _params(ctx, subject, now)
    connections = vault.select_rows(conn, vault.Selection(subject, ctx, now), limit=None)
    params["machines"] = json.dumps(sorted({r["machine_id"] for r in connections}))
    machines = _machines(conn, subject, params)
    params["machines"] = json.dumps([m["id"] for m in machines])
    found = Found(
        connections,
        _flags(conn, _FLAG_FILTERS[subject.kind], params),
        machines,
        dicts(conn.execute(SEATS, params)),
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
    return where if params["org"] is None else f"({where}) AND l.org_id = :org"


def _flags(conn: sqlite3.Connection, where: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    with privileged(conn):
        found = dicts(conn.execute(f"{FLAGS} WHERE {_scoped(where, params)} ORDER BY f.id", params))
    for row in found:
        row["evidence"] = json.loads(row["evidence"]) if row["evidence"] else None
    return found


def _machines(
    conn: sqlite3.Connection, subject: Subject, params: dict[str, Any]
) -> list[dict[str, Any]]:
    where = _scoped(_MACHINE_FILTERS[subject.kind], params)
    return dicts(conn.execute(f"{MACHINES} WHERE {where} ORDER BY m.id", params))


def _attempts(
    conn: sqlite3.Connection, subject: Subject, params: dict[str, Any], form: str
) -> list[dict[str, Any]]:
    """Staff login attempts: from the address, or of an organization's staff accounts."""
    if subject.kind is SubjectKind.ORG:
        where = f"a.user_id IN ({ORG_STAFF.format(':value')})"
    elif subject.kind is SubjectKind.ADDRESS:
        where = f"a.address = :{form}"
        if params["org"] is not None:
            where += f" AND a.user_id IN ({ORG_STAFF.format(':org')})"
    else:
        return []
    with privileged(conn):
        return dicts(conn.execute(f"{ATTEMPTS}{where} ORDER BY a.id", params))


def _ambiguous(conn: sqlite3.Connection, params: dict[str, Any]) -> dict[str, list[int]]:
    network_rows = _scoped("c.address = :network AND c.precision = 'network'", params)
    with privileged(conn):
        connections = conn.execute(
            "SELECT c.id FROM connections c JOIN licenses l ON l.id = c.license_id "
            f"WHERE {network_rows} ORDER BY c.id",
            params,
        ).fetchall()
    flags = _flags(conn, f"{_atom(':network')} AND NOT {_atom(':value')}", params)
    attempts = _attempts(conn, Subject(SubjectKind.ADDRESS, ""), params, "network")
    return {
        "connections": [r[0] for r in connections],
        "flags": [f["id"] for f in flags],
        "login_attempts": [a["id"] for a in attempts],
    }
