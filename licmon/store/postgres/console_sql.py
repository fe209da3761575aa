"""What the staff console shows that is not personal data: counts per hour, seats per
product, machines, countries. Every query takes the organization scope (None: all)."""

from typing import Any

from licmon.store.postgres.audit_sql import Conn
from licmon.store.postgres.report_sql import HOUR, ORG
from licmon.store.postgres.rowdicts import dicts

CHECKINS_PER_HOUR = f"""
SELECT u.hour, sum(u.checkins) FROM usage_hourly u JOIN licenses l ON l.id = u.license_id
WHERE u.hour >= %(since)s AND {ORG} GROUP BY u.hour ORDER BY u.hour"""

SEATS_PER_PRODUCT = f"""
SELECT p.code, count(DISTINCT l.id), sum(l.seats),
    sum((SELECT count(*) FROM seats s WHERE s.license_id = l.id AND s.expires_at > %(now)s))
FROM licenses l JOIN products p ON p.id = l.product_id
WHERE l.status = 'active' AND {ORG}
GROUP BY p.code ORDER BY p.code"""

LICENSE_ROWS = f"""
SELECT l.id, o.slug AS org, o.name AS org_name, p.code AS product, l.status, l.seats,
    l.max_machines, l.valid_until,
    (SELECT count(*) FROM seats s WHERE s.license_id = l.id AND s.expires_at > %(now)s)
        AS in_use,
    (SELECT count(*) FROM machines m WHERE m.license_id = l.id) AS machines
FROM licenses l JOIN orgs o ON o.id = l.org_id JOIN products p ON p.id = l.product_id
WHERE {ORG} ORDER BY l.id LIMIT %(limit)s"""

SEAT_USE = """
SELECT hour, peak_seats, checkins FROM usage_hourly
WHERE license_id = %(license)s AND hour >= %(since)s ORDER BY hour"""

MACHINES = """
SELECT m.fingerprint, m.first_seen, m.last_seen,
    EXISTS (SELECT 1 FROM seats s WHERE s.machine_id = m.id AND s.expires_at > %(now)s)
        AS seated
FROM machines m WHERE m.license_id = %(license)s ORDER BY m.last_seen DESC LIMIT %(limit)s"""

COUNTRIES = """
SELECT coalesce(c.country, '') AS country, count(DISTINCT c.machine_id) AS machines,
    count(DISTINCT c.day) AS days, sum(c.checkins) AS checkins, sum(c.denials) AS denials
FROM connections c WHERE c.license_id = %(license)s AND c.day >= %(since_day)s
GROUP BY 1 ORDER BY checkins DESC, country"""

SAMPLE_SEATS = """
INSERT INTO usage_hourly AS u (license_id, hour, peak_seats)
SELECT license_id, %(hour)s, count(*) FROM seats WHERE expires_at > %(now)s
GROUP BY license_id
ON CONFLICT (license_id, hour)
DO UPDATE SET peak_seats = greatest(u.peak_seats, excluded.peak_seats)"""


def checkins_per_hour(conn: Conn, org: int | None, since: int) -> dict[int, int]:
    cursor = conn.execute(CHECKINS_PER_HOUR, {"org": org, "since": since - since % HOUR})
    return {int(hour): int(count) for hour, count in cursor}


def seats_per_product(conn: Conn, org: int | None, now: int) -> list[dict[str, Any]]:
    rows = conn.execute(SEATS_PER_PRODUCT, {"org": org, "now": now}).fetchall()
    return [
        {"product": code, "licenses": n, "licensed": int(seats or 0), "in_use": int(used or 0)}
        for code, n, seats, used in rows
    ]


def license_rows(conn: Conn, org: int | None, now: int, limit: int = 1000) -> list[dict[str, Any]]:
    return dicts(conn, LICENSE_ROWS, {"org": org, "now": now, "limit": limit})


def seat_use(conn: Conn, license_id: int, since: int) -> list[dict[str, Any]]:
    return dicts(conn, SEAT_USE, {"license": license_id, "since": since})


def machines(conn: Conn, license_id: int, now: int, limit: int = 500) -> list[dict[str, Any]]:
    rows = dicts(conn, MACHINES, {"license": license_id, "now": now, "limit": limit})
    return [{**row, "seated": int(row["seated"])} for row in rows]


def countries(conn: Conn, license_id: int, since_day: str) -> list[dict[str, Any]]:
    rows = dicts(conn, COUNTRIES, {"license": license_id, "since_day": since_day})
    return [
        {**row, "checkins": int(row["checkins"]), "denials": int(row["denials"])} for row in rows
    ]


def sample_seats(conn: Conn, now: int) -> int:
    """Record each license's seats in use as this hour's peak (if higher)."""
    return conn.execute(SAMPLE_SEATS, {"now": now, "hour": now - now % HOUR}).rowcount


def org_by_id(conn: Conn, org_id: int) -> dict[str, Any] | None:
    rows = dicts(
        conn,
        "SELECT id, slug, name, ip_precision, retention_days FROM orgs WHERE id = %s",
        (org_id,),
    )
    return rows[0] if rows else None
