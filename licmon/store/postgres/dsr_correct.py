"""Rectification: correcting what licmon holds wrongly about a subject, audited.

A machine attributed to the wrong license (or organization) moves, with its connection
log, to the right one; the right organization's precision and retention apply to the
moved rows at once (a machine's move runs as the gateway role: moved rows meet on their
address). An organization's name is corrected in place. Receipts name tables and row ids;
the audit entry names ids and fields, never a name or an address.
"""

from typing import Any

from licmon.domain.access import ReadContext, check_request
from licmon.domain.audit import AuditEntry
from licmon.domain.purposes import DSR
from licmon.domain.subjects import Subject, SubjectKind
from licmon.errors import BadRequest, Conflict, NotFound
from licmon.store.postgres import audit_sql, catalog, retention_sql, vault
from licmon.store.postgres.audit_sql import Conn

MAX_NAME = 200
MACHINE = f"""SELECT m.id, l.org_id, {vault.held_clause("m.license_id", "l.org_id", "m.id")}
FROM machines m JOIN licenses l ON l.id = m.license_id
WHERE m.fingerprint = %(fingerprint)s AND m.license_id = %(license)s"""
# A moved row that meets a row of the same day and address under the right machine
# adds its counts to it.
MERGE = """UPDATE connections AS t SET
    first_seen = least(t.first_seen, s.first_seen), last_seen = greatest(t.last_seen, s.last_seen),
    checkins = t.checkins + s.checkins, denials = t.denials + s.denials,
    retain_until = greatest(t.retain_until, s.retain_until),
    restricted = greatest(t.restricted, s.restricted)
FROM connections AS s
WHERE s.machine_id = %(source)s AND t.machine_id = %(target)s AND t.day = s.day
    AND t.address = s.address"""
DROP_MERGED = """DELETE FROM connections WHERE machine_id = %(source)s AND EXISTS (
    SELECT 1 FROM connections t WHERE t.machine_id = %(target)s AND t.day = connections.day
    AND t.address = connections.address)"""


def move_machine(
    conn: Conn,
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
        r[0] for r in conn.execute("SELECT id FROM connections WHERE machine_id = %s", (source,))
    ]
    seats = [[from_license, source]] if _has_seat(conn, source) else []
    conn.execute("DELETE FROM seats WHERE machine_id = %s", (source,))
    target = _existing(conn, fingerprint, to_license)
    if target is None:
        conn.execute("UPDATE machines SET license_id = %s WHERE id = %s", (to_license, source))
        conn.execute(
            "UPDATE connections SET license_id = %s WHERE machine_id = %s", (to_license, source)
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


def rename_org(conn: Conn, ctx: ReadContext, slug: str, name: str, now: int) -> dict[str, Any]:
    check_request(ctx, DSR)
    name = " ".join(name.split())
    if not name or len(name) > MAX_NAME:
        raise BadRequest(f"An organization's name has 1 to {MAX_NAME} characters.")
    org = catalog.org_by_slug(conn, slug)
    if ctx.org_id is not None and ctx.org_id != org.id:
        raise NotFound(f"No organization '{slug[:40]}'.")
    conn.execute("UPDATE orgs SET name = %s WHERE id = %s", (name, org.id))
    tables = {"orgs": {"corrected": [org.id]}}
    subject = Subject(SubjectKind.ORG, str(org.id))
    return _receipt(conn, ctx, subject, now, tables, {"field": "name"})


def _machine(
    conn: Conn, ctx: ReadContext, fingerprint: str, license_id: int, now: int
) -> tuple[int, int]:
    row = conn.execute(
        MACHINE, {"fingerprint": fingerprint, "license": license_id, "now": now}
    ).fetchone()
    if row is None or (ctx.org_id is not None and row[1] != ctx.org_id):
        raise NotFound(f"No such machine under license {license_id}.")
    if row[2]:
        raise Conflict("A legal hold keeps this machine's records as they are.")
    return int(row[0]), int(row[1])


def _license_org(conn: Conn, ctx: ReadContext, license_id: int) -> int:
    row = conn.execute("SELECT org_id FROM licenses WHERE id = %s", (license_id,)).fetchone()
    if row is None or (ctx.org_id is not None and row[0] != ctx.org_id):
        raise NotFound(f"No license {license_id}.")
    return int(row[0])


def _has_seat(conn: Conn, machine_id: int) -> bool:
    found = conn.execute("SELECT 1 FROM seats WHERE machine_id = %s", (machine_id,)).fetchone()
    return found is not None


def _existing(conn: Conn, fingerprint: str, license_id: int) -> int | None:
    row = conn.execute(
        "SELECT id FROM machines WHERE fingerprint = %s AND license_id = %s",
        (fingerprint, license_id),
    ).fetchone()
    return None if row is None else int(row[0])


def _merge(conn: Conn, source: int, target: int, license_id: int) -> None:
    ids = {"source": source, "target": target}
    conn.execute(MERGE, ids)  # rows meet on their address
    conn.execute(DROP_MERGED, ids)
    conn.execute(
        "UPDATE connections SET license_id = %s, machine_id = %s WHERE machine_id = %s",
        (license_id, target, source),
    )
    conn.execute(  # last_seen stays the right machine's: updating it counts a check-in
        "UPDATE machines SET first_seen = least(first_seen, (SELECT first_seen FROM machines "
        "WHERE id = %(source)s)) WHERE id = %(target)s",
        ids,
    )
    conn.execute("DELETE FROM machines WHERE id = %s", (source,))


def _receipt(
    conn: Conn,
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
