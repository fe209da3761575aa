"""Data-subject requests and legal holds: export, erase, restrict; holds that keep rows."""

import json
import sqlite3
from typing import Any

from licmon.domain.access import ReadContext, check_request
from licmon.domain.audit import AuditEntry
from licmon.domain.licenses import check_hold_expiry
from licmon.domain.purposes import DSR, PURPOSES
from licmon.domain.subjects import Subject, SubjectKind
from licmon.errors import BadRequest, Conflict, NotFound
from licmon.store import audit_sql, restriction_sql, vault
from licmon.store.personal import privileged
from licmon.store.sqlrows import dicts

ACTIVE_HOLDS = "released_at IS NULL AND (expires_at IS NULL OR expires_at > ?)"
PURGE_ERASED = f"""DELETE FROM connections AS c WHERE c.erasure_requested_at IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM licenses l WHERE l.id = c.license_id AND
    {vault.HELD.replace(":now", "?")})"""


def export(
    conn: sqlite3.Connection, ctx: ReadContext, subject: Subject, now: int
) -> dict[str, Any]:
    """Every connection record of the subject, with purpose, basis, deadline, holds, readers."""
    check_request(ctx, DSR)
    selection = vault.Selection(subject, ctx, now)
    rows = vault.read_connections(conn, selection, limit=None)
    readers = vault.reads_of(conn, [row["id"] for row in rows])
    return {
        "subject": {"kind": subject.kind.value},
        "generated_at": now,
        "records": [_record(row, readers[row["id"]]) for row in rows],
        "holds": active_holds_for(conn, rows, now),
    }


def erase(conn: sqlite3.Connection, ctx: ReadContext, subject: Subject, now: int) -> dict[str, Any]:
    """Delete the subject's rows; rows under a legal hold are restricted and erased later."""
    check_request(ctx, DSR)
    rows = vault.select_rows(conn, vault.Selection(subject, ctx, now), limit=None)
    held = [row["id"] for row in rows if row["held"]]
    free = [row["id"] for row in rows if not row["held"]]
    _execute_ids(conn, "DELETE FROM connections WHERE id IN ({})", free)
    _execute_ids(
        conn,
        "UPDATE connections SET restricted = 1, erasure_requested_at = "
        f"{int(now)} WHERE id IN ({{}})",
        held,
    )
    receipt = _receipt(
        conn, "dsr.erase", ctx, subject, now, rows, {"erased": len(free), "restricted": len(held)}
    )
    if subject.kind is SubjectKind.MACHINE and not held:
        _forget_machine(conn, subject.value, ctx.org_id)
    if subject.kind in (SubjectKind.LICENSE, SubjectKind.ORG):
        receipt["flag_evidence_erased"] = _erase_flag_evidence(conn, rows)
    return receipt


def _erase_flag_evidence(conn: sqlite3.Connection, rows: list[dict[str, Any]]) -> int:
    """A license's flags keep their kind and counts; their evidence goes with its log,
    except where a hold keeps the license's rows."""
    licenses = sorted(
        {r["license_id"] for r in rows} - {r["license_id"] for r in rows if r["held"]}
    )
    if not licenses or not _table_exists(conn, "flags"):
        return 0
    with privileged(conn):  # the WHERE reads the evidence column
        return conn.execute(
            "UPDATE flags SET evidence = NULL WHERE evidence IS NOT NULL AND license_id IN "
            "(SELECT value FROM json_each(?))",
            (json.dumps(licenses),),
        ).rowcount


def _table_exists(conn: sqlite3.Connection, table: str) -> bool:
    row = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).fetchone()
    return row is not None


def restrict(
    conn: sqlite3.Connection, ctx: ReadContext, subject: Subject, now: int
) -> dict[str, Any]:
    """Keep the subject's rows but make them readable only for dsr and legal.hold, now and
    later: a marker on the subject makes rows written afterwards restricted too."""
    check_request(ctx, DSR)
    rows = vault.select_rows(conn, vault.Selection(subject, ctx, now), limit=None)
    _execute_ids(
        conn, "UPDATE connections SET restricted = 1 WHERE id IN ({})", [row["id"] for row in rows]
    )
    markers = restriction_sql.add_marker(conn, subject, ctx.org_id, ctx.actor, now)
    flags = restriction_sql.restrict_subject_flags(conn, subject, ctx.org_id)
    counts = {"restricted": len(rows), "markers": markers, "flags_restricted": flags}
    return _receipt(conn, "dsr.restrict", ctx, subject, now, rows, counts)


def add_hold(
    conn: sqlite3.Connection,
    scope: str,
    ref: str,
    reason: str,
    citation: str,
    expires_at: int | None,
    actor: str,
    now: int,
) -> dict[str, Any]:
    if not reason.strip() or not citation.strip():
        raise BadRequest("A legal hold needs a reason and a citation.")
    check_hold_expiry(expires_at, now)
    scope_id = _scope_id(conn, scope, ref)
    cursor = conn.execute(
        "INSERT INTO legal_holds (scope, scope_id, reason, citation, created_by, created_at, "
        "expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (scope, scope_id, reason.strip(), citation.strip(), actor, now, expires_at),
    )
    hold_id = int(cursor.lastrowid or 0)
    audit_sql.append(
        conn,
        AuditEntry(
            now,
            actor,
            "hold.add",
            f"hold:{hold_id}",
            "ok",
            {"scope": scope, "scope_id": scope_id, "expires_at": expires_at},
        ),
    )
    return hold_by_id(conn, hold_id)


def release_hold(conn: sqlite3.Connection, hold_id: int, actor: str, now: int) -> dict[str, Any]:
    """End a hold; rows whose erasure waited only for it are erased now."""
    hold = hold_by_id(conn, hold_id)
    if hold["released_at"] is not None:
        raise Conflict(f"Legal hold {hold_id} is already released.")
    conn.execute(
        "UPDATE legal_holds SET released_at = ?, released_by = ? WHERE id = ?",
        (now, actor, hold_id),
    )
    erased = purge_erased(conn, now)
    audit_sql.append(
        conn,
        AuditEntry(
            now, actor, "hold.release", f"hold:{hold_id}", "ok", {"erased_after_release": erased}
        ),
    )
    return {**hold_by_id(conn, hold_id), "erased_after_release": erased}


def purge_erased(conn: sqlite3.Connection, now: int) -> int:
    """Erase rows whose erasure was requested and that no hold keeps any more."""
    return conn.execute(PURGE_ERASED, (now,)).rowcount


def list_holds(conn: sqlite3.Connection, now: int, active_only: bool) -> list[dict[str, Any]]:
    where = f"WHERE {ACTIVE_HOLDS}" if active_only else "WHERE ? IS NOT NULL"
    return dicts(conn.execute(f"SELECT * FROM legal_holds {where} ORDER BY id", (now,)))


def hold_by_id(conn: sqlite3.Connection, hold_id: int) -> dict[str, Any]:
    rows = dicts(conn.execute("SELECT * FROM legal_holds WHERE id = ?", (hold_id,)))
    if not rows:
        raise NotFound(f"No legal hold {hold_id}.")
    return rows[0]


def active_holds_for(
    conn: sqlite3.Connection, rows: list[dict[str, Any]], now: int
) -> list[dict[str, Any]]:
    if not rows:
        return []
    scopes = {("license", row["license_id"]) for row in rows}
    scopes |= {("org", row["org_id"]) for row in rows}
    machines = {row["machine"] for row in rows}
    holds = list_holds(conn, now, active_only=True)
    return [
        _hold_view(h)
        for h in holds
        if (h["scope"], h["scope_id"]) in scopes
        or (h["scope"] == "machine" and _fingerprint(conn, h["scope_id"]) in machines)
    ]


def _fingerprint(conn: sqlite3.Connection, machine_id: int) -> str | None:
    row = conn.execute("SELECT fingerprint FROM machines WHERE id = ?", (machine_id,)).fetchone()
    return row[0] if row else None


def _record(row: dict[str, Any], readers: list[dict[str, Any]]) -> dict[str, Any]:
    purpose = PURPOSES[row["purpose"]]
    personal = {
        k: row[k]
        for k in (
            "day",
            "address",
            "precision",
            "country",
            "city",
            "latitude",
            "longitude",
            "accuracy_km",
            "asn",
            "anonymizer",
            "first_seen",
            "last_seen",
            "checkins",
            "denials",
        )
    }
    return {
        "id": row["id"],
        "license": row["license_id"],
        "machine": row["machine"],
        **personal,
        "purpose": purpose.name,
        "legal_basis": purpose.legal_basis,
        "retain_until": row["retain_until"],
        "held": bool(row["held"]),
        "restricted": bool(row["restricted"]),
        "read_by": readers,
    }


def _receipt(
    conn: sqlite3.Connection,
    action: str,
    ctx: ReadContext,
    subject: Subject,
    now: int,
    rows: list[dict[str, Any]],
    counts: dict[str, int],
) -> dict[str, Any]:
    holds = active_holds_for(conn, [r for r in rows if r["held"]], now)
    audit_sql.append(
        conn,
        AuditEntry(
            now,
            ctx.actor,
            action,
            subject.audit_target(),
            "ok",
            {
                **counts,
                "holds": [h["id"] for h in holds],
                "justification": audit_sql.redact(ctx.justification),
            },
        ),
    )
    why = (
        "rows under a legal hold are restricted (readable only for legal.hold) and will be "
        "erased when the hold ends"
        if counts.get("restricted") and holds
        else ""
    )
    return {
        "action": action,
        "subject": subject.kind.value,
        "at": now,
        **counts,
        "holds": holds,
        "note": why,
    }


def _forget_machine(conn: sqlite3.Connection, fingerprint: str, org_id: int | None) -> None:
    scope = (
        ""
        if org_id is None
        else f" AND license_id IN (SELECT id FROM licenses WHERE org_id = {int(org_id)})"
    )
    ids = [
        r[0]
        for r in conn.execute(
            f"SELECT id FROM machines WHERE fingerprint = ?{scope}", (fingerprint,)
        )
    ]
    _execute_ids(conn, "DELETE FROM seats WHERE machine_id IN ({})", ids)
    _execute_ids(
        conn,
        "DELETE FROM machines WHERE id IN ({}) AND NOT EXISTS "
        "(SELECT 1 FROM connections c WHERE c.machine_id = machines.id)",
        ids,
    )


def _scope_id(conn: sqlite3.Connection, scope: str, ref: str) -> int:
    queries = {
        "org": "SELECT id FROM orgs WHERE slug = ?",
        "license": "SELECT id FROM licenses WHERE id = ?",
        "machine": "SELECT id FROM machines WHERE fingerprint = ? ORDER BY id LIMIT 1",
    }
    if scope not in queries:
        raise BadRequest("A hold's scope is org, license or machine.")
    row = conn.execute(queries[scope], (ref,)).fetchone()
    if row is None:
        raise NotFound(f"No {scope} '{ref[:40]}' to hold.")
    return int(row[0])


def _hold_view(hold: dict[str, Any]) -> dict[str, Any]:
    return {k: hold[k] for k in ("id", "scope", "scope_id", "reason", "citation", "expires_at")}


def _execute_ids(conn: sqlite3.Connection, sql: str, ids: list[int]) -> None:
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        conn.execute(sql.format(",".join("?" * len(chunk))), chunk)
