"""The retention job's steps, each a short batch in the single writer.

Past its deadline a connection row is folded into ``usage_daily`` (day, product, country,
counts: no license, no organization, no address) and deleted, unless a legal hold keeps it.
A change of an organization's precision or retention reaches stored rows here.
"""

import json
import sqlite3
from typing import Any

from licmon.domain.audit import AuditEntry
from licmon.domain.models import IpPrecision
from licmon.domain.network import apply_precision, parse_ip
from licmon.domain.precision import reduce_evidence, reduce_scope
from licmon.domain.purposes import DAY
from licmon.domain.usage_cells import LADDER, Cell, generalize
from licmon.store.sqlite import (
    audit_sql,
    dsr_sql,
    machine_retention_sql,
    staff_retention_sql,
    vault,
)
from licmon.store.sqlite.personal import privileged
from licmon.store.sqlite.sqlrows import dicts

_EXPIRED = "c.retain_until <= :now AND c.erasure_requested_at IS NULL"
_FROM = "FROM connections c JOIN licenses l ON l.id = c.license_id"

EXPIRED_FREE = f"SELECT c.id {_FROM} WHERE {_EXPIRED} AND NOT {vault.HELD} LIMIT :limit"
EXPIRED_HELD = f"SELECT count(*) {_FROM} WHERE {_EXPIRED} AND {vault.HELD}"
VIOLATIONS = f"""SELECT count(*) {_FROM} WHERE c.retain_until <= :now AND NOT {vault.HELD}
    AND (c.address != '' OR c.city IS NOT NULL OR c.latitude IS NOT NULL OR c.asn IS NOT NULL)"""
FEEDS = f"""SELECT c.day, p.code, coalesce(c.country, ''), l.org_id {_FROM}
JOIN products p ON p.id = l.product_id WHERE {_EXPIRED} AND NOT {vault.HELD}
GROUP BY 1, 2, 3, 4"""
BATCH_CELLS = """
SELECT c.day, p.code, coalesce(c.country, ''), count(*), sum(c.checkins), sum(c.denials)
FROM connections c JOIN licenses l ON l.id = c.license_id JOIN products p ON p.id = l.product_id
WHERE c.id IN (SELECT value FROM json_each(?)) GROUP BY 1, 2, 3"""
FOLD = """
INSERT INTO usage_daily (day, product, country, connections, checkins, denials)
VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (day, product, country) DO UPDATE SET
    connections = connections + excluded.connections,
    checkins = checkins + excluded.checkins,
    denials = denials + excluded.denials"""
DELETE_IDS = "DELETE FROM connections WHERE id IN (SELECT value FROM json_each(?))"
# Row-id windows drive these (CROSS JOIN keeps connections the outer loop): a window costs
# its own rows, never a scan of an organization's whole log.
_WINDOW_JOIN = """FROM connections c CROSS JOIN licenses l CROSS JOIN orgs o
WHERE c.id BETWEEN :start AND :end AND l.id = c.license_id AND o.id = l.org_id
  AND o.id IN (SELECT value FROM json_each(:orgs))"""
TOO_PRECISE = f"""
SELECT c.id, c.license_id, c.machine_id, c.day, c.address, o.ip_precision {_WINDOW_JOIN}
  AND ((c.precision = 'full' AND o.ip_precision != 'full')
    OR (c.precision = 'network' AND o.ip_precision = 'none'))"""
_ORG_DEADLINE = f"unixepoch(c.day) + {DAY} * o.retention_days"
TIGHTEN = f"""
UPDATE connections SET retain_until = (
    SELECT unixepoch(connections.day) + {DAY} * o.retention_days
    FROM licenses l JOIN orgs o ON o.id = l.org_id WHERE l.id = connections.license_id)
WHERE id IN (SELECT c.id {_WINDOW_JOIN} AND c.retain_until > {_ORG_DEADLINE})"""
MERGE_INTO = """
UPDATE connections SET checkins = checkins + ?, denials = denials + ?,
    first_seen = min(first_seen, ?), last_seen = max(last_seen, ?),
    retain_until = min(retain_until, ?)
WHERE license_id = ? AND machine_id = ? AND day = ? AND address = ? AND id != ?"""


def begin_run(conn: sqlite3.Connection, actor: str, now: int) -> int:
    cursor = conn.execute(
        "INSERT INTO retention_runs (actor, started_at, cutoff) VALUES (?, ?, ?)", (actor, now, now)
    )
    return int(cursor.lastrowid or 0)


def orgs_changed_since(conn: sqlite3.Connection, since: int) -> list[int]:
    """Organizations whose precision or retention changed since ``since``."""
    rows = conn.execute(
        "SELECT id FROM orgs WHERE policy_changed_at > 0 AND policy_changed_at >= ?", (since,)
    )
    return [row[0] for row in rows]


def last_run_start(conn: sqlite3.Connection) -> int:
    row = conn.execute(
        "SELECT max(started_at) FROM retention_runs WHERE finished_at IS NOT NULL"
    ).fetchone()
    return int(row[0] or 0)


def id_range(conn: sqlite3.Connection) -> tuple[int, int]:
    low, high = conn.execute("SELECT min(id), max(id) FROM connections").fetchone()
    return int(low or 0), int(high or -1)


def apply_policy(conn: sqlite3.Connection, orgs: list[int], start: int, end: int) -> int:
    """Within one window of row ids: a changed organization's shorter retention shortens
    deadlines (they never grow), and its coarser precision reduces addresses, merging rows
    that meet. Returns the rows reduced."""
    window = {"start": start, "end": end, "orgs": json.dumps(orgs)}
    conn.execute(TIGHTEN, window)
    with privileged(conn):
        rows = conn.execute(TOO_PRECISE, window).fetchall()
        for row in rows:
            _reduce(conn, *row)
    return len(rows)


CHANGED_ORG_FLAGS = """SELECT f.id, f.evidence, f.source_network, o.ip_precision
FROM flags f JOIN licenses l ON l.id = f.license_id JOIN orgs o ON o.id = l.org_id
WHERE o.id IN (SELECT value FROM json_each(?)) AND o.ip_precision != 'full'
  AND (f.evidence IS NOT NULL OR f.source_network != '')"""


def reduce_flag_evidence(conn: sqlite3.Connection, orgs: list[int]) -> int:
    """Flags of organizations that changed their precision: evidence and source network
    reduced to it, as if raised today. Returns the flags changed."""
    changed = 0
    with privileged(conn):
        for flag_id, evidence, scope, target in conn.execute(
            CHANGED_ORG_FLAGS, (json.dumps(orgs),)
        ).fetchall():
            precision = IpPrecision(target)
            kept = (
                None
                if evidence is None
                else json.dumps(reduce_evidence(json.loads(evidence), precision), sort_keys=True)
            )
            new = (kept, reduce_scope(scope, precision))
            if new != (evidence, scope):
                _update_flag(conn, flag_id, *new)
                changed += 1
    return changed


def _update_flag(conn: sqlite3.Connection, flag_id: int, evidence: str | None, scope: str) -> None:
    try:
        conn.execute("SAVEPOINT reduce_flag")
        conn.execute(
            "UPDATE flags SET evidence = ?, source_network = ? WHERE id = ?",
            (evidence, scope, flag_id),
        )
    except sqlite3.IntegrityError:  # an active twin already holds the reduced network
        conn.execute("ROLLBACK TO reduce_flag")
        conn.execute(
            "UPDATE flags SET evidence = ?, source_network = '#' || id WHERE id = ?",
            (evidence, flag_id),
        )
    conn.execute("RELEASE reduce_flag")


def usage_plan(conn: sqlite3.Connection, now: int, min_orgs: int) -> dict[Cell, Cell]:
    """Where this run publishes each cell it will fold (small-cell suppression)."""
    feeds = (
        ((day, product, country), org)
        for day, product, country, org in conn.execute(FEEDS, {"now": now})
    )
    return generalize(feeds, min_orgs)


def fold_batch(
    conn: sqlite3.Connection, now: int, limit: int, plan: dict[Cell, Cell] | None = None
) -> int:
    ids = [r[0] for r in conn.execute(EXPIRED_FREE, {"now": now, "limit": limit})]
    if ids:
        payload = json.dumps(ids)
        totals: dict[Cell, list[int]] = {}
        for day, product, country, *counts in conn.execute(BATCH_CELLS, (payload,)):
            cell = (day, product, country)
            target = (plan or {}).get(cell, LADDER[-1](cell))
            total = totals.setdefault(target, [0, 0, 0])
            for i, count in enumerate(counts):
                total[i] += int(count)
        for target, counts in totals.items():
            conn.execute(FOLD, (*target, *counts))
        conn.execute(DELETE_IDS, (payload,))
    return len(ids)


def finish_run(
    conn: sqlite3.Connection, run_id: int, now: int, counts: dict[str, int], finished: int
) -> dict[str, Any]:
    """Erase what waited for ended holds, count what holds keep, attest, audit."""
    counts = {**counts, "erased": dsr_sql.purge_erased(conn, now)}
    counts["login_attempts_deleted"] = staff_retention_sql.purge_staff_data(conn, now)
    counts["flag_evidence_cleared"] = clear_flag_evidence(conn, now)
    counts["machines_deleted"] = machine_retention_sql.delete_expired(conn, now)
    counts["held"] = conn.execute(EXPIRED_HELD, {"now": now}).fetchone()[0]
    with privileged(conn):
        counts["violations"] = conn.execute(VIOLATIONS, {"now": now}).fetchone()[0]
    conn.execute("DELETE FROM seats WHERE expires_at < ?", (now - DAY,))
    conn.execute(
        "UPDATE retention_runs SET finished_at = ?, reduced = ?, folded = ?, erased = ?, "
        "held = ?, violations = ?, status = ? WHERE id = ?",
        (
            finished,
            counts["reduced"],
            counts["folded"],
            counts["erased"],
            counts["held"],
            counts["violations"],
            "ok" if counts["violations"] == 0 else "violations",
            run_id,
        ),
    )
    actor = conn.execute("SELECT actor FROM retention_runs WHERE id = ?", (run_id,)).fetchone()[0]
    audit_sql.append(
        conn,
        AuditEntry(
            now,
            actor,
            "retention.run",
            f"retention_run:{run_id}",
            "ok" if counts["violations"] == 0 else "violations",
            counts,
        ),
    )
    return run_by_id(conn, run_id)


def runs(conn: sqlite3.Connection, limit: int) -> list[dict[str, Any]]:
    return dicts(conn.execute("SELECT * FROM retention_runs ORDER BY id DESC LIMIT ?", (limit,)))


def run_by_id(conn: sqlite3.Connection, run_id: int) -> dict[str, Any]:
    return dicts(conn.execute("SELECT * FROM retention_runs WHERE id = ?", (run_id,)))[0]


def _reduce(
    conn: sqlite3.Connection,
    row_id: int,
    license_id: int,
    machine_id: int,
    day: str,
    address: str,
    target: str,
) -> None:
    reduced = _reduced_address(address, IpPrecision(target))
    clear_place = (
        ", city = NULL, latitude = NULL, longitude = NULL, accuracy_km = NULL"
        if target == IpPrecision.NONE
        else ""
    )
    twin = conn.execute(
        "SELECT checkins, denials, first_seen, last_seen, retain_until FROM connections "
        "WHERE id = ?",
        (row_id,),
    ).fetchone()
    merged = conn.execute(
        MERGE_INTO, (*twin, license_id, machine_id, day, reduced, row_id)
    ).rowcount
    if merged:
        conn.execute("DELETE FROM connections WHERE id = ?", (row_id,))
    else:
        conn.execute(
            f"UPDATE connections SET address = ?, precision = ?{clear_place} WHERE id = ?",
            (reduced, target, row_id),
        )


def _reduced_address(stored: str, target: IpPrecision) -> str:
    address = parse_ip(stored.split("/", 1)[0])
    if address is None or target is IpPrecision.NONE:
        return ""
    return apply_precision(address, target) or ""


# A flag outlives its evidence: past the deadline the evidence and the source network go,
# unless a legal hold on the flag's license or organization keeps them.
FLAG_HELD = vault.held_clause(
    "f.license_id", "(SELECT org_id FROM licenses WHERE id = f.license_id)"
)
CLEAR_FLAG_EVIDENCE = f"""UPDATE flags AS f SET evidence = NULL,
    source_network = CASE WHEN source_network = '' THEN '' ELSE '#' || id END
WHERE f.retain_until <= :now AND (f.evidence IS NOT NULL OR f.source_network NOT IN ('', '#' || id))
    AND NOT {FLAG_HELD}"""


def clear_flag_evidence(conn: sqlite3.Connection, now: int) -> int:
    with privileged(conn):
        return conn.execute(CLEAR_FLAG_EVIDENCE, {"now": now}).rowcount
