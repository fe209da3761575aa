"""Abuse flags as PostgreSQL: raised (deduplicated upsert), listed, decided (audited).

Raising runs as the gateway role (the conflict target names the personal
``source_network``); evidence is written there and never read but by ``vault.read_flag``.
Listings name only the columns that are not personal data.
"""

import json
from collections.abc import Sequence
from typing import Any

from licmon.domain.audit import AuditEntry
from licmon.domain.flags import FLAG_PURPOSE, FlagRaise, FlagStatus, check_decision
from licmon.domain.models import IpPrecision, LicenseStatus
from licmon.domain.precision import reduce_evidence, reduce_scope
from licmon.errors import NotFound
from licmon.store.postgres import audit_sql, catalog, restriction_sql
from licmon.store.postgres.audit_sql import Conn
from licmon.store.postgres.rowdicts import dicts

RANK = "CASE {} WHEN 'high' THEN 3 WHEN 'medium' THEN 2 WHEN 'low' THEN 1 ELSE 0 END"
RAISE = f"""
INSERT INTO flags AS f (kind, severity, license_id, source_network, first_seen, last_seen,
    evidence, purpose, retain_until, restricted)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (kind, coalesce(license_id, 0), source_network)
    WHERE status IN ('open', 'acknowledged')
DO UPDATE SET count = f.count + 1, last_seen = greatest(f.last_seen, excluded.last_seen),
    severity = CASE WHEN {RANK.format("excluded.severity")} > {RANK.format("f.severity")}
                    THEN excluded.severity ELSE f.severity END,
    evidence = excluded.evidence, retain_until = greatest(f.retain_until, excluded.retain_until),
    restricted = greatest(f.restricted, excluded.restricted)
RETURNING id, count"""
COLUMNS = (
    "f.id, f.kind, f.severity, f.license_id, l.org_id, f.status, f.count, f.first_seen, "
    "f.last_seen, f.purpose, f.retain_until, f.restricted, f.decided_by, f.decided_at, "
    "f.decision_reason"
)
SELECT = f"SELECT {COLUMNS} FROM flags f LEFT JOIN licenses l ON l.id = f.license_id"
OPEN_COUNTS = """SELECT kind, severity, count(*) FROM flags WHERE status = 'open'
    AND restricted = 0 GROUP BY kind, severity"""


def raise_flags(conn: Conn, raises: Sequence[FlagRaise]) -> list[int]:
    """Insert each flag, or count it on the active one of its kind, license and network.

    Evidence and source network are reduced to the license's organization's precision here
    (a flag without a license keeps no more than a network), and a flag of a restricted
    license is restricted."""
    ids = []
    for item in raises:
        d = item.draft
        precision, restricted = _policy(conn, d.license_id)
        row = conn.execute(
            RAISE,
            (
                d.kind.value,
                d.severity.value,
                d.license_id,
                reduce_scope(d.scope, precision),
                d.at,
                d.at,
                json.dumps(reduce_evidence(d.evidence, precision), sort_keys=True),
                FLAG_PURPOSE,
                item.retain_until,
                int(restricted),
            ),
        ).fetchone()
        ids.append(int(row[0]) if row else 0)
    return ids


def _policy(conn: Conn, license_id: int | None) -> tuple[IpPrecision, bool]:
    """The precision a flag's personal data is kept at, and whether it is restricted."""
    if license_id is None:
        return IpPrecision.NETWORK, False
    row = conn.execute(
        "SELECT o.id, o.ip_precision FROM licenses l JOIN orgs o ON o.id = l.org_id "
        "WHERE l.id = %s",
        (license_id,),
    ).fetchone()
    if row is None:
        return IpPrecision.NONE, False
    return IpPrecision(row[1]), restriction_sql.covers_license(conn, license_id, int(row[0]))


def list_flags(
    conn: Conn,
    status: str | None = None,
    kind: str | None = None,
    license_id: int | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    filters = {"f.status": status, "f.kind": kind, "f.license_id": license_id}
    given = {column: value for column, value in filters.items() if value is not None}
    where = " AND ".join(f"{column} = %s" for column in given) or "TRUE"
    sql = f"{SELECT} WHERE {where} ORDER BY f.last_seen DESC, f.id DESC LIMIT %s"
    return dicts(conn, sql, [*given.values(), limit])


def flag_by_id(conn: Conn, flag_id: int) -> dict[str, Any]:
    rows = dicts(conn, f"{SELECT} WHERE f.id = %s", (flag_id,))
    if not rows:
        raise NotFound(f"No flag {flag_id}.")
    return rows[0]


def decide(
    conn: Conn,
    flag_id: int,
    target: FlagStatus,
    actor: str,
    reason: str,
    now: int,
    suspend: bool = False,
) -> dict[str, Any]:
    """Move a flag on in its life cycle, audited; a confirmation may suspend the license."""
    flag = flag_by_id(conn, flag_id)
    check_decision(flag_id, FlagStatus(flag["status"]), target, reason)
    redacted = audit_sql.redact(reason.strip())  # shown to customers, exported in reports
    conn.execute(
        "UPDATE flags SET status = %s, decided_by = %s, decided_at = %s, decision_reason = %s "
        "WHERE id = %s",
        (target.value, actor, now, redacted, flag_id),
    )
    details = {"from": flag["status"], "to": target.value, "kind": flag["kind"]}
    details["reason"] = redacted
    audit_sql.append(
        conn, AuditEntry(now, actor, f"flag.{target.value}", f"flag:{flag_id}", "ok", details)
    )
    if suspend and target is FlagStatus.CONFIRMED and flag["license_id"] is not None:
        _suspend(conn, int(flag["license_id"]), actor, now)
    return flag_by_id(conn, flag_id)


def open_counts(conn: Conn) -> tuple[dict[str, int], dict[str, int]]:
    by_kind: dict[str, int] = {}
    by_severity: dict[str, int] = {}
    for kind, severity, count in conn.execute(OPEN_COUNTS):
        by_kind[kind] = by_kind.get(kind, 0) + count
        by_severity[severity] = by_severity.get(severity, 0) + count
    return by_kind, by_severity


def active_since(conn: Conn, since: int) -> list[tuple[str, int, int]]:
    """(kind, license, last seen) of active license flags: the re-raise guard's memory."""
    rows = conn.execute(
        "SELECT kind, license_id, last_seen FROM flags WHERE status IN ('open', 'acknowledged') "
        "AND license_id IS NOT NULL AND last_seen >= %s",
        (since,),
    ).fetchall()
    return [(str(kind), int(lic), int(seen)) for kind, lic, seen in rows]


def _suspend(conn: Conn, license_id: int, actor: str, now: int) -> None:
    if catalog.license_by_id(conn, license_id).status is LicenseStatus.ACTIVE:
        catalog.set_license_status(conn, license_id, LicenseStatus.SUSPENDED, now, actor)
