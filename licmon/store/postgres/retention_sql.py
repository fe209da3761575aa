"""The retention job's steps on PostgreSQL, each a short batch in its own transaction.

Past its deadline a connection row is folded into ``usage_daily`` (day, product, country,
counts: no license, no organization, no address) and deleted, unless a legal hold keeps it.
A change of an organization's precision or retention reaches stored rows here. The steps
that read personal columns (reducing addresses and evidence, the attestation's count of
violations) run as the gateway role.
"""

import json
from typing import Any

import psycopg

from licmon.domain.audit import AuditEntry
from licmon.domain.models import IpPrecision
from licmon.domain.precision import reduce_evidence, reduce_scope
from licmon.domain.purposes import DAY
from licmon.domain.usage_cells import LADDER, Cell, generalize
from licmon.store.postgres import (
    audit_sql,
    dsr_sql,
    machine_retention_sql,
    staff_retention_sql,
    vault,
)
from licmon.store.postgres.audit_sql import Conn
from licmon.store.postgres.rowdicts import dicts, scalar
from licmon.store.sqlite.retention_sql import _reduced_address

_EXPIRED = "c.retain_until <= %(now)s AND c.erasure_requested_at IS NULL"
_FROM = "FROM connections c JOIN licenses l ON l.id = c.license_id"

EXPIRED_FREE = f"SELECT c.id {_FROM} WHERE {_EXPIRED} AND NOT {vault.HELD} LIMIT %(limit)s"
EXPIRED_HELD = f"SELECT count(*) {_FROM} WHERE {_EXPIRED} AND {vault.HELD}"
VIOLATIONS = f"""SELECT count(*) {_FROM} WHERE c.retain_until <= %(now)s AND NOT {vault.HELD}
    AND (c.address != '' OR c.city IS NOT NULL OR c.latitude IS NOT NULL OR c.asn IS NOT NULL)"""
FEEDS = f"""SELECT c.day, p.code, coalesce(c.country, ''), l.org_id {_FROM}
JOIN products p ON p.id = l.product_id WHERE {_EXPIRED} AND NOT {vault.HELD}
GROUP BY 1, 2, 3, 4"""
BATCH_CELLS = """
SELECT c.day, p.code, coalesce(c.country, ''), count(*), sum(c.checkins), sum(c.denials)
FROM connections c JOIN licenses l ON l.id = c.license_id JOIN products p ON p.id = l.product_id
WHERE c.id = ANY(%s) GROUP BY 1, 2, 3"""
FOLD = """
INSERT INTO usage_daily AS u (day, product, country, connections, checkins, denials)
VALUES (%s, %s, %s, %s, %s, %s)
ON CONFLICT (day, product, country) DO UPDATE SET
    connections = u.connections + excluded.connections,
    checkins = u.checkins + excluded.checkins,
    denials = u.denials + excluded.denials"""
DELETE_IDS = "DELETE FROM connections WHERE id = ANY(%s)"
# Row-id windows drive these: a window costs its own rows, never a scan of an
# organization's whole log.
_WINDOW_JOIN = """FROM connections c JOIN licenses l ON l.id = c.license_id
JOIN orgs o ON o.id = l.org_id
WHERE c.id BETWEEN %(start)s AND %(end)s AND o.id = ANY(%(orgs)s)"""
TOO_PRECISE = f"""
SELECT c.id, c.license_id, c.machine_id, c.day, c.address, o.ip_precision {_WINDOW_JOIN}
  AND ((c.precision = 'full' AND o.ip_precision != 'full')
    OR (c.precision = 'network' AND o.ip_precision = 'none'))"""
_ORG_DEADLINE = f"extract(epoch FROM c.day::date)::bigint + {DAY} * o.retention_days"
TIGHTEN = f"""
UPDATE connections AS t SET retain_until = d.deadline
FROM (SELECT c.id, {_ORG_DEADLINE} AS deadline {_WINDOW_JOIN}) d
WHERE t.id = d.id AND t.retain_until > d.deadline"""
MERGE_INTO = """
UPDATE connections SET checkins = checkins + %s, denials = denials + %s,
    first_seen = least(first_seen, %s), last_seen = greatest(last_seen, %s),
    retain_until = least(retain_until, %s)
WHERE license_id = %s AND machine_id = %s AND day = %s AND address = %s AND id != %s"""


def begin_run(conn: Conn, actor: str, now: int) -> int:
    return int(
        scalar(
            conn,
            "INSERT INTO retention_runs (actor, started_at, cutoff) VALUES (%s, %s, %s) "
            "RETURNING id",
            (actor, now, now),
        )
    )


def orgs_changed_since(conn: Conn, since: int) -> list[int]:
    """Organizations whose precision or retention changed since ``since``."""
    rows = conn.execute(
        "SELECT id FROM orgs WHERE policy_changed_at > 0 AND policy_changed_at >= %s", (since,)
    )
    return [int(row[0]) for row in rows]


def last_run_start(conn: Conn) -> int:
    found = scalar(conn, "SELECT max(started_at) FROM retention_runs WHERE finished_at IS NOT NULL")
    return int(found or 0)


def id_range(conn: Conn) -> tuple[int, int]:
    row = conn.execute("SELECT min(id), max(id) FROM connections").fetchone()
    low, high = row if row else (None, None)
    return int(low or 0), int(high or -1)


def apply_policy(conn: Conn, orgs: list[int], start: int, end: int) -> int:
    """Within one window of row ids: a changed organization's shorter retention shortens
    deadlines (they never grow), and its coarser precision reduces addresses, merging rows
    that meet. Returns the rows reduced."""
    window = {"start": start, "end": end, "orgs": orgs}
    conn.execute(TIGHTEN, window)
    rows = conn.execute(TOO_PRECISE, window).fetchall()
    for row in rows:
        _reduce(conn, *row)
    return len(rows)


CHANGED_ORG_FLAGS = """SELECT f.id, f.evidence, f.source_network, o.ip_precision
FROM flags f JOIN licenses l ON l.id = f.license_id JOIN orgs o ON o.id = l.org_id
WHERE o.id = ANY(%s) AND o.ip_precision != 'full'
  AND (f.evidence IS NOT NULL OR f.source_network != '')"""


def reduce_flag_evidence(conn: Conn, orgs: list[int]) -> int:
    """Flags of organizations that changed their precision: evidence and source network
    reduced to it, as if raised today. Returns the flags changed."""
    changed = 0
    for flag_id, evidence, scope, target in conn.execute(CHANGED_ORG_FLAGS, (orgs,)).fetchall():
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


def _update_flag(conn: Conn, flag_id: int, evidence: str | None, scope: str) -> None:
    try:
        with conn.transaction():
            conn.execute(
                "UPDATE flags SET evidence = %s, source_network = %s WHERE id = %s",
                (evidence, scope, flag_id),
            )
    except psycopg.errors.UniqueViolation:  # an active twin already holds the reduced network
        conn.execute(
            "UPDATE flags SET evidence = %s, source_network = '#' || id WHERE id = %s",
            (evidence, flag_id),
        )


def usage_plan(conn: Conn, now: int, min_orgs: int) -> dict[Cell, Cell]:
    """Where this run publishes each cell it will fold (small-cell suppression)."""
    feeds = (
        ((day, product, country), org)
        for day, product, country, org in conn.execute(FEEDS, {"now": now})
    )
    return generalize(feeds, min_orgs)


def fold_batch(conn: Conn, now: int, limit: int, plan: dict[Cell, Cell] | None = None) -> int:
    ids = [r[0] for r in conn.execute(EXPIRED_FREE, {"now": now, "limit": limit})]
    if ids:
        totals: dict[Cell, list[int]] = {}
        for day, product, country, *counts in conn.execute(BATCH_CELLS, (ids,)).fetchall():
            cell = (day, product, country)
            target = (plan or {}).get(cell, LADDER[-1](cell))
            total = totals.setdefault(target, [0, 0, 0])
            for i, count in enumerate(counts):
                total[i] += int(count)
        for target, counts in totals.items():
            conn.execute(FOLD, (*target, *counts))
        conn.execute(DELETE_IDS, (ids,))
    return len(ids)


def finish_run(
    conn: Conn, run_id: int, now: int, counts: dict[str, int], finished: int
) -> dict[str, Any]:
    """Erase what waited for ended holds, count what holds keep, attest, audit."""
    counts = {**counts, "erased": dsr_sql.purge_erased(conn, now)}
    counts["login_attempts_deleted"] = staff_retention_sql.purge_staff_data(conn, now)
    counts["flag_evidence_cleared"] = clear_flag_evidence(conn, now)
    counts["machines_deleted"] = machine_retention_sql.delete_expired(conn, now)
    counts["held"] = int(scalar(conn, EXPIRED_HELD, {"now": now}))
    counts["violations"] = int(scalar(conn, VIOLATIONS, {"now": now}))
    conn.execute("DELETE FROM seats WHERE expires_at < %s", (now - DAY,))
    conn.execute(
        "UPDATE retention_runs SET finished_at = %s, reduced = %s, folded = %s, erased = %s, "
        "held = %s, violations = %s, status = %s WHERE id = %s",
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
    actor = str(scalar(conn, "SELECT actor FROM retention_runs WHERE id = %s", (run_id,)))
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


def runs(conn: Conn, limit: int) -> list[dict[str, Any]]:
    return dicts(conn, "SELECT * FROM retention_runs ORDER BY id DESC LIMIT %s", (limit,))


def run_by_id(conn: Conn, run_id: int) -> dict[str, Any]:
    return dicts(conn, "SELECT * FROM retention_runs WHERE id = %s", (run_id,))[0]


def _reduce(
    conn: Conn,
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
        "WHERE id = %s",
        (row_id,),
    ).fetchone()
    merged = conn.execute(
        MERGE_INTO, (*(twin or ()), license_id, machine_id, day, reduced, row_id)
    ).rowcount
    if merged:
        conn.execute("DELETE FROM connections WHERE id = %s", (row_id,))
    else:
        conn.execute(
            f"UPDATE connections SET address = %s, precision = %s{clear_place} WHERE id = %s",
            (reduced, target, row_id),
        )


# A flag outlives its evidence: past the deadline the evidence and the source network go,
# unless a legal hold on the flag's license or organization keeps them.
FLAG_HELD = vault.held_clause(
    "f.license_id", "(SELECT org_id FROM licenses WHERE id = f.license_id)"
)
CLEAR_FLAG_EVIDENCE = f"""UPDATE flags AS f SET evidence = NULL,
    source_network = CASE WHEN f.source_network = '' THEN '' ELSE '#' || f.id END
WHERE f.retain_until <= %(now)s
    AND (f.evidence IS NOT NULL OR f.source_network NOT IN ('', '#' || f.id))
    AND NOT {FLAG_HELD}"""


def clear_flag_evidence(conn: Conn, now: int) -> int:
    return conn.execute(CLEAR_FLAG_EVIDENCE, {"now": now}).rowcount
