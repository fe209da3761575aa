"""Data-subject requests and legal holds: export, erase, restrict; holds that keep rows."""

import sqlite3
from typing import Any

from licmon.domain.access import ReadContext, check_request
from licmon.domain.audit import AuditEntry
from licmon.domain.licenses import check_hold_expiry
from licmon.domain.purposes import DSR
from licmon.domain.subjects import Subject, SubjectKind
from licmon.errors import BadRequest, Conflict, NotFound
from licmon.store.dsr_receipts import erasure_receipt, hold_rows
from licmon.store.sqlite import audit_sql, dependants, dsr_export, dsr_find, restriction_sql, vault
from licmon.store.sqlite.sqlrows import dicts

ACTIVE_HOLDS = "released_at IS NULL AND (expires_at IS NULL OR expires_at > ?)"
PURGE_ERASED = f"""DELETE FROM connections AS c WHERE c.erasure_requested_at IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM licenses l WHERE l.id = c.license_id AND
    {vault.HELD.replace(":now", "?")})"""
PURGE_ERASED_FLAGS = f"""DELETE FROM flags AS f WHERE f.erasure_requested_at IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM licenses l WHERE l.id = f.license_id AND
    {vault.held_clause("f.license_id", "l.org_id").replace(":now", "?")})"""


def export(
    conn: sqlite3.Connection, ctx: ReadContext, subject: Subject, now: int
) -> dict[str, Any]:
    """Everything stored about the subject, in every table, in the transfer format."""
    check_request(ctx, DSR)
    found = dsr_find.find(conn, ctx, subject, now)
    document = dsr_export.document(conn, ctx, subject, found, now)
    return {**document, "holds": active_holds_for(conn, hold_rows(found), now)}


def erase(conn: sqlite3.Connection, ctx: ReadContext, subject: Subject, now: int) -> dict[str, Any]:
    """Erase the subject's rows in every table. What a legal hold keeps is restricted and
    erased when the hold ends; ambiguous rows (network precision) are left and reported."""
    check_request(ctx, DSR)
    found = dsr_find.find(conn, ctx, subject, now)
    tables = {
        "connections": _erase_rows(conn, "connections", found.connections, now),
        "flags": _erase_rows(conn, "flags", found.flags, now),
        **_erase_machines(conn, subject, found),
        "login_attempts": _erase_rows(conn, "login_attempts", found.login_attempts, now),
    }
    return _erase_receipt(conn, ctx, subject, now, found, tables)


def _erase_rows(
    conn: sqlite3.Connection, table: str, rows: list[dict[str, Any]], now: int
) -> dict[str, list[int]]:
    held = [row["id"] for row in rows if row.get("held")]
    free = [row["id"] for row in rows if not row.get("held")]
    _execute_ids(conn, f"DELETE FROM {table} WHERE id IN ({{}})", free)
    _execute_ids(
        conn,
        f"UPDATE {table} SET restricted = 1, erasure_requested_at = {int(now)} WHERE id IN ({{}})",
        held,
    )
    return {"erased": free, "restricted": held}


def _erase_machines(
    conn: sqlite3.Connection, subject: Subject, found: dsr_find.Found
) -> dict[str, dict[str, list[Any]]]:
    """A machine, license or organization request erases its machines and their seats;
    an address names no machine (it is only where one was seen), so those stay."""
    if subject.kind is SubjectKind.ADDRESS:
        seats = [[s["license_id"], s["machine_id"]] for s in found.seats]
        return {
            "machines": {"erased": [], "kept": [m["id"] for m in found.machines]},
            "seats": {"erased": [], "kept": seats},
        }
    free = [m["id"] for m in found.machines if not m["held"]]
    seats = [[s["license_id"], s["machine_id"]] for s in found.seats if s["machine_id"] in free]
    _execute_ids(conn, "DELETE FROM seats WHERE machine_id IN ({})", free)
    gone = [i for i in free if not _has_log(conn, i)]
    others = dependants.erase(conn, "machines", gone, frozenset({"connections", "seats"}))
    _execute_ids(conn, "DELETE FROM machines WHERE id IN ({})", gone)
    kept = [m["id"] for m in found.machines if m["id"] not in gone]
    return {
        "machines": {"erased": gone, "kept": kept},
        "seats": {"erased": seats, "kept": []},
        **others,
    }


def _has_log(conn: sqlite3.Connection, machine_id: int) -> bool:
    """Connection rows a hold keeps keep their machine too."""
    row = conn.execute("SELECT 1 FROM connections WHERE machine_id = ?", (machine_id,))
    return row.fetchone() is not None


def _erase_receipt(
    conn: sqlite3.Connection,
    ctx: ReadContext,
    subject: Subject,
    now: int,
    found: dsr_find.Found,
    tables: dict[str, dict[str, list[Any]]],
) -> dict[str, Any]:
    held = [row for row in hold_rows(found) if row.get("held")]
    entry, receipt = erasure_receipt(
        ctx, subject, now, found, tables, active_holds_for(conn, held, now)
    )
    audit_sql.append(conn, entry)
    return receipt


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
    receipt = _receipt(conn, "dsr.restrict", ctx, subject, now, rows, counts)
    return {**receipt, "tables": {"connections": {"restricted": [row["id"] for row in rows]}}}


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
        (
            scope,
            scope_id,
            audit_sql.redact(reason.strip()),
            citation.strip(),
            actor,
            now,
            expires_at,
        ),
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
    flags = conn.execute(PURGE_ERASED_FLAGS, (now,)).rowcount
    return int(conn.execute(PURGE_ERASED, (now,)).rowcount) + int(flags)


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
    machines = {row.get("machine") for row in rows}
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
