"""What the abuse report and the console's flag pages read: flags without their evidence
or source network (the personal columns), seat peaks, machines and countries, per license,
within an organization scope (None: every organization)."""

import sqlite3
import time
from typing import Any

from licmon.domain.purposes import DAY
from licmon.store.sqlite.sqlrows import dicts
from licmon.store.sqlite.staff_schema import HOUR

FLAG_COLUMNS = """f.id, f.kind, f.severity, f.license_id, l.org_id, o.slug AS org, f.status,
    f.count, f.first_seen, f.last_seen, f.decided_by, f.decided_at, f.decision_reason"""
FLAG_FROM = """FROM flags f LEFT JOIN licenses l ON l.id = f.license_id
    LEFT JOIN orgs o ON o.id = l.org_id"""
FLAG_ROWS = f"""SELECT {FLAG_COLUMNS} {FLAG_FROM}
WHERE (:org IS NULL OR l.org_id = :org) AND (:status IS NULL OR f.status = :status)
  AND (:kind IS NULL OR f.kind = :kind) AND (:license IS NULL OR f.license_id = :license)
ORDER BY f.last_seen DESC, f.id DESC LIMIT :limit"""
OPEN_BY_KIND = f"""SELECT f.kind, count(*) {FLAG_FROM}
WHERE f.status = 'open' AND f.restricted = 0 AND (:org IS NULL OR l.org_id = :org)
GROUP BY f.kind ORDER BY 2 DESC"""
FLAG_KINDS = f"""SELECT DISTINCT f.kind {FLAG_FROM}
WHERE f.restricted = 0 AND (:org IS NULL OR l.org_id = :org) ORDER BY f.kind"""
REPORT_FLAGS = f"""SELECT {FLAG_COLUMNS} {FLAG_FROM}
WHERE f.license_id IS NOT NULL AND f.restricted = 0
  AND f.last_seen >= :since AND f.first_seen <= :until
  AND (:org IS NULL OR l.org_id = :org) ORDER BY f.license_id, f.id"""
REPORT_LICENSE = """
SELECT l.id, o.slug AS org, o.name AS org_name, p.code AS product, l.status, l.seats,
    l.allowed_countries, l.max_machines,
    (SELECT coalesce(sum(u.refusals), 0) FROM usage_hourly u
        WHERE u.license_id = l.id AND u.hour >= :since_hour AND u.hour <= :until) AS refusals,
    (SELECT count(*) FROM seats s WHERE s.license_id = l.id AND s.expires_at > :until)
        AS seats_in_use,
    (SELECT coalesce(max(u.peak_seats), 0) FROM usage_hourly u
        WHERE u.license_id = l.id AND u.hour >= :since_hour AND u.hour <= :until) AS peak_seats,
    (SELECT count(*) FROM machines m WHERE m.license_id = l.id
        AND m.last_seen >= :since) AS machines_seen
FROM licenses l JOIN orgs o ON o.id = l.org_id JOIN products p ON p.id = l.product_id
WHERE l.id = :license"""
REPORT_SERIES = """SELECT u.hour - u.hour % :bucket AS start, max(u.peak_seats) AS peak_seats,
    sum(u.checkins) AS checkins, sum(u.refusals) AS refusals FROM usage_hourly u
WHERE u.license_id = :license AND u.hour >= :since_hour AND u.hour <= :until
GROUP BY 1 ORDER BY 1"""
REPORT_COUNTRIES = """SELECT coalesce(country, ''), sum(checkins + denials) FROM connections
WHERE license_id = :license AND day >= :since_day AND restricted = 0
GROUP BY 1 ORDER BY 2 DESC"""


def flag_rows(
    conn: sqlite3.Connection,
    org: int | None,
    status: str | None,
    kind: str | None,
    license_id: int | None,
    limit: int,
) -> list[dict[str, Any]]:
    params = {"org": org, "status": status, "kind": kind, "license": license_id, "limit": limit}
    return dicts(conn.execute(FLAG_ROWS, params))


def open_flags_by_kind(conn: sqlite3.Connection, org: int | None) -> list[tuple[str, int]]:
    return [(kind, int(n)) for kind, n in conn.execute(OPEN_BY_KIND, {"org": org})]


def flag_kinds(conn: sqlite3.Connection, org: int | None) -> list[str]:
    """The kinds of the flags in the scope (None: every organization's, and unlicensed)."""
    return [row[0] for row in conn.execute(FLAG_KINDS, {"org": org})]


def report_data(
    conn: sqlite3.Connection, since: int, until: int, org: int | None, bucket: int = DAY
) -> list[dict[str, Any]]:
    """One entry per license flagged in the period: the license, its flags, its countries,
    and its seat use, check-ins and refusals per ``bucket`` seconds (for the charts)."""
    flags = dicts(conn.execute(REPORT_FLAGS, {"since": since, "until": until, "org": org}))
    by_license: dict[int, list[dict[str, Any]]] = {}
    for flag in flags:
        by_license.setdefault(int(flag["license_id"]), []).append(flag)
    since_day = time.strftime("%Y-%m-%d", time.gmtime(since - since % DAY))
    return [
        _license_entry(conn, license_id, found, since, until, since_day, bucket)
        for license_id, found in by_license.items()
    ]


def _license_entry(
    conn: sqlite3.Connection,
    license_id: int,
    flags: list[dict[str, Any]],
    since: int,
    until: int,
    since_day: str,
    bucket: int,
) -> dict[str, Any]:
    params = {
        "license": license_id,
        "since": since,
        "since_hour": since - since % HOUR,
        "until": until,
        "since_day": since_day,
        "bucket": bucket,
    }
    (lic,) = dicts(conn.execute(REPORT_LICENSE, params))
    countries = dict(conn.execute(REPORT_COUNTRIES, params).fetchall())
    series = dicts(conn.execute(REPORT_SERIES, params))
    return {**lic, "flags": flags, "countries": countries, "series": series}
