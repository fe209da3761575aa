"""What the abuse report and the console's flag pages read: flags without their evidence
or source network (the personal columns), seat peaks, machines and countries, per license,
within an organization scope (None: every organization)."""

import time
from typing import Any

from licmon.domain.purposes import DAY
from licmon.store.postgres.audit_sql import Conn
from licmon.store.postgres.rowdicts import dicts

HOUR = 3600
ORG = "(%(org)s::bigint IS NULL OR l.org_id = %(org)s::bigint)"
FLAG_FILTERS = f"""{ORG} AND (%(status)s::text IS NULL OR f.status = %(status)s::text)
  AND (%(kind)s::text IS NULL OR f.kind = %(kind)s::text)
  AND (%(license)s::bigint IS NULL OR f.license_id = %(license)s::bigint)"""
FLAG_COLUMNS = """f.id, f.kind, f.severity, f.license_id, l.org_id, o.slug AS org, f.status,
    f.count, f.first_seen, f.last_seen, f.decided_by, f.decided_at, f.decision_reason"""
FLAG_FROM = """FROM flags f LEFT JOIN licenses l ON l.id = f.license_id
    LEFT JOIN orgs o ON o.id = l.org_id"""
FLAG_ROWS = f"""SELECT {FLAG_COLUMNS} {FLAG_FROM} WHERE {FLAG_FILTERS}
ORDER BY f.last_seen DESC, f.id DESC LIMIT %(limit)s"""
OPEN_BY_KIND = f"""SELECT f.kind, count(*) {FLAG_FROM}
WHERE f.status = 'open' AND f.restricted = 0 AND {ORG}
GROUP BY f.kind ORDER BY 2 DESC, f.kind"""
FLAG_KINDS = f"""SELECT DISTINCT f.kind {FLAG_FROM}
WHERE f.restricted = 0 AND {ORG} ORDER BY f.kind"""
REPORT_FLAGS = f"""SELECT {FLAG_COLUMNS} {FLAG_FROM}
WHERE f.license_id IS NOT NULL AND f.restricted = 0
  AND f.last_seen >= %(since)s AND f.first_seen <= %(until)s
  AND {ORG} ORDER BY f.license_id, f.id"""
REPORT_LICENSE = """
SELECT l.id, o.slug AS org, o.name AS org_name, p.code AS product, l.status, l.seats,
    l.allowed_countries, l.max_machines,
    (SELECT coalesce(sum(u.refusals), 0) FROM usage_hourly u
        WHERE u.license_id = l.id AND u.hour >= %(since_hour)s AND u.hour <= %(until)s)
        AS refusals,
    (SELECT count(*) FROM seats s WHERE s.license_id = l.id AND s.expires_at > %(until)s)
        AS seats_in_use,
    (SELECT coalesce(max(u.peak_seats), 0) FROM usage_hourly u
        WHERE u.license_id = l.id AND u.hour >= %(since_hour)s AND u.hour <= %(until)s)
        AS peak_seats,
    (SELECT count(*) FROM machines m WHERE m.license_id = l.id
        AND m.last_seen >= %(since)s) AS machines_seen
FROM licenses l JOIN orgs o ON o.id = l.org_id JOIN products p ON p.id = l.product_id
WHERE l.id = %(license)s"""
REPORT_SERIES = """SELECT u.hour - u.hour %% %(bucket)s AS start, max(u.peak_seats) AS peak_seats,
    sum(u.checkins) AS checkins, sum(u.refusals) AS refusals FROM usage_hourly u
WHERE u.license_id = %(license)s AND u.hour >= %(since_hour)s AND u.hour <= %(until)s
GROUP BY 1 ORDER BY 1"""
REPORT_COUNTRIES = """SELECT coalesce(country, ''), sum(checkins + denials) FROM connections
WHERE license_id = %(license)s AND day >= %(since_day)s AND restricted = 0
GROUP BY 1 ORDER BY 2 DESC, 1"""
_COUNTS = ("refusals", "seats_in_use", "peak_seats", "machines_seen")


def flag_rows(
    conn: Conn,
    org: int | None,
    status: str | None,
    kind: str | None,
    license_id: int | None,
    limit: int,
) -> list[dict[str, Any]]:
    params = {"org": org, "status": status, "kind": kind, "license": license_id, "limit": limit}
    return dicts(conn, FLAG_ROWS, params)


def open_flags_by_kind(conn: Conn, org: int | None) -> list[tuple[str, int]]:
    return [(kind, int(n)) for kind, n in conn.execute(OPEN_BY_KIND, {"org": org})]


def flag_kinds(conn: Conn, org: int | None) -> list[str]:
    """The kinds of the flags in the scope (None: every organization's, and unlicensed)."""
    return [row[0] for row in conn.execute(FLAG_KINDS, {"org": org})]


def report_data(
    conn: Conn, since: int, until: int, org: int | None, bucket: int = DAY
) -> list[dict[str, Any]]:
    """One entry per license flagged in the period: the license, its flags, its countries,
    and its seat use, check-ins and refusals per ``bucket`` seconds (for the charts)."""
    flags = dicts(conn, REPORT_FLAGS, {"since": since, "until": until, "org": org})
    by_license: dict[int, list[dict[str, Any]]] = {}
    for flag in flags:
        by_license.setdefault(int(flag["license_id"]), []).append(flag)
    since_day = time.strftime("%Y-%m-%d", time.gmtime(since - since % DAY))
    return [
        _license_entry(conn, license_id, found, since, until, since_day, bucket)
        for license_id, found in by_license.items()
    ]


def _license_entry(
    conn: Conn,
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
    (lic,) = dicts(conn, REPORT_LICENSE, params)
    lic |= {key: int(lic[key]) for key in _COUNTS}
    countries = {c: int(n) for c, n in conn.execute(REPORT_COUNTRIES, params).fetchall()}
    series = [{k: int(v) for k, v in row.items()} for row in dicts(conn, REPORT_SERIES, params)]
    return {**lic, "flags": flags, "countries": countries, "series": series}
