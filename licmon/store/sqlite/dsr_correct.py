"""Rectification: correcting what licmon holds wrongly about a subject, audited.

A machine attributed to the wrong license (or organization) moves, with its connection
log, to the right one; the right organization's precision and retention apply to the
moved rows at once. An organization's name is corrected in place. Receipts name tables
and row ids; the audit entry names ids and fields, never a name or an address.
"""

import sqlite3
from typing import Any

from licmon.domain.access import ReadContext, check_request
from licmon.domain.audit import AuditEntry
from licmon.domain.purposes import DSR
from licmon.domain.subjects import Subject, SubjectKind
from licmon.errors import BadRequest, Conflict, NotFound
from licmon.store.sqlite import audit_sql, catalog, retention_sql, vault
from licmon.store.sqlite.personal import privileged

MAX_NAME = 200
MACHINE = f"""SELECT m.id, l.org_id, {vault.held_clause("m.license_id", "l.org_id", "m.id")}
FROM machines m JOIN licenses l ON l.id = m.license_id
WHERE m.fingerprint = :fingerprint AND m.license_id = :license"""
# A moved row that meets a row of the same day and address under the right machine
# adds its counts to it.
MERGE = """UPDATE connections AS t SET
    first_seen = min(t.first_seen, s.first_seen), last_seen = max(t.last_seen, s.last_seen),
    checkins = t.checkins + s.checkins, denials = t.denials + s.denials,
    retain_until = max(t.retain_until, s.retain_until), restricted = max(t.restricted, s.restricted)
FROM connections AS s
WHERE s.machine_id = :source AND t.machine_id = :target AND t.day = s.day
    AND t.address = s.address"""
DROP_MERGED = """DELETE FROM connections WHERE machine_id = :source AND EXISTS (
    SELECT 1 FROM connections t WHERE t.machine_id = :target AND t.day = connections.day
    AND t.address = connections.address)"""


def move_machine(
    conn: sqlite3.Connection,
    ctx: ReadContext,
    fingerprint: str,
    from_license: int,
    to_license: int,
    now: int,
) -> dict[str, Any]:
    check_request(ctx, DSR)
    source, source_org = _machine(conn, ctx, fingerprint, from_license, now)
    target_org = _license_org(conn, ctx, to_license)
    if to_license == from_license:
        raise BadRequest("The machine is attributed to that license already.")
    rows = [
        r[0] for r in conn.execute("SELECT id FROM connections WHERE machine_id = ?", (source,))
    ]
    seats = [[from_license, source]] if _has_seat(conn, source) else []
    conn.execute("DELETE FROM seats WHERE machine_id = ?", (source,))
    target = _existing(conn, fingerprint, to_license)
    if target is None:
        conn.execute("UPDATE machines SET license_id = ? WHERE id = ?", (to_license, source))
        conn.execute(
            "UPDATE connections SET license_id = ? WHERE machine_id = ?", (to_license, source)
        )
        machines: dict[str, list[Any]] = {"corrected": [source]}
    else:
        _merge(conn, source, target, to_license)
        machines = {"merged": [source], "into": [target]}
    if rows:
        retention_sql.apply_policy(conn, [target_org], min(rows), max(rows))
    tables = {"machines": machines, "connections": {"corrected": rows}, "seats": {"erased": seats}}
    details = {"field": "license", "from_license": from_license, "to_license": to_license}
    if source_org != target_org:
        details |= {"from_org": source_org, "to_org": target_org}
    return _receipt(conn, ctx, Subject(SubjectKind.MACHINE, fingerprint), now, tables, details)


def rename_org(
    conn: sqlite3.Connection, ctx: ReadContext, slug: str, name: str, now: int
) -> dict[str, Any]:
    check_request(ctx, DSR)
    name = " ".join(name.split())
    if not name or len(name) > MAX_NAME:
        raise BadRequest(f"An organization's name has 1 to {MAX_NAME} characters.")
    org = catalog.org_by_slug(conn, slug)
    if ctx.org_id is not None and ctx.org_id != org.id:
        raise NotFound(f"No organization '{slug[:40]}'.")
    conn.execute("UPDATE orgs SET name = ? WHERE id = ?", (name, org.id))
    tables = {"orgs": {"corrected": [org.id]}}
    subject = Subject(SubjectKind.ORG, str(org.id))
    return _receipt(conn, ctx, subject, now, tables, {"field": "name"})


def _machine(
    conn: sqlite3.Connection, ctx: ReadContext, fingerprint: str, license_id: int, now: int
) -> tuple[int, int]:
    row = conn.execute(
        MACHINE, {"fingerprint": fingerprint, "license": license_id, "now": now}
    ).fetchone()
    if row is None or (ctx.org_id is not None and row[1] != ctx.org_id):
        raise NotFound(f"No such machine under license {license_id}.")
    if row[2]:
        raise Conflict("A legal hold keeps this machine's records as they are.")
    return int(row[0]), int(row[1])


def _license_org(conn: sqlite3.Connection, ctx: ReadContext, license_id: int) -> int:
    row = conn.execute("SELECT org_id FROM licenses WHERE id = ?", (license_id,)).fetchone()
    if row is None or (ctx.org_id is not None and row[0] != ctx.org_id):
        raise NotFound(f"No license {license_id}.")
    return int(row[0])


def _has_seat(conn: sqlite3.Connection, machine_id: int) -> bool:
    found = conn.execute("SELECT 1 FROM seats WHERE machine_id = ?", (machine_id,)).fetchone()
    return found is not None


def _existing(conn: sqlite3.Connection, fingerprint: str, license_id: int) -> int | None:
    row = conn.execute(
        "SELECT id FROM machines WHERE fingerprint = ? AND license_id = ?",
        (fingerprint, license_id),
    ).fetchone()
    return None if row is None else int(row[0])


def _merge(conn: sqlite3.Connection, source: int, target: int, license_id: int) -> None:
    ids = {"source": source, "target": target}
    with privileged(conn):  # rows meet on their address
        conn.execute(MERGE, ids)
        conn.execute(DROP_MERGED, ids)
    conn.execute(
        "UPDATE connections SET license_id = ?, machine_id = ? WHERE machine_id = ?",
        (license_id, target, source),
    )
    conn.execute(  # last_seen stays the right machine's: updating it counts a check-in
        "UPDATE machines SET first_seen = min(first_seen, (SELECT first_seen FROM machines "
        "WHERE id = :source)) WHERE id = :target",
        ids,
    )
    conn.execute("DELETE FROM machines WHERE id = ?", (source,))


def _receipt(
    conn: sqlite3.Connection,
    ctx: ReadContext,
    subject: Subject,
    now: int,
    tables: dict[str, dict[str, list[Any]]],
    details: dict[str, Any],
) -> dict[str, Any]:
    audit_sql.append(
        conn,
        AuditEntry(
            now,
            ctx.actor,
            "dsr.correct",
            subject.audit_target(),
            "ok",
            {
                **details,
                "tables": {name: {k: len(v) for k, v in t.items()} for name, t in tables.items()},
                "org_scope": ctx.org_id,
                "justification": audit_sql.redact(ctx.justification),
            },
        ),
    )
    return {"action": "dsr.correct", "subject": subject.kind.value, "at": now, "tables": tables}
