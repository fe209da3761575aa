"""What the staff console shows that is not personal data: counts per hour, seats per
product, machines, countries. Every query takes the organization scope (None: all)."""

import sqlite3
from typing import Any

from licmon.store.sqlite.sqlrows import dicts
from licmon.store.sqlite.staff_schema import HOUR

CHECKINS_PER_HOUR = """
SELECT u.hour, sum(u.checkins) FROM usage_hourly u JOIN licenses l ON l.id = u.license_id
WHERE u.hour >= :since AND (:org IS NULL OR l.org_id = :org) GROUP BY u.hour ORDER BY u.hour"""

SEATS_PER_PRODUCT = """
SELECT p.code, count(DISTINCT l.id), sum(l.seats),
    sum((SELECT count(*) FROM seats s WHERE s.license_id = l.id AND s.expires_at > :now))
FROM licenses l JOIN products p ON p.id = l.product_id
WHERE l.status = 'active' AND (:org IS NULL OR l.org_id = :org)
GROUP BY p.code ORDER BY p.code"""

LICENSE_ROWS = """
SELECT l.id, o.slug AS org, o.name AS org_name, p.code AS product, l.status, l.seats,
    l.max_machines, l.valid_until,
    (SELECT count(*) FROM seats s WHERE s.license_id = l.id AND s.expires_at > :now) AS in_use,
    (SELECT count(*) FROM machines m WHERE m.license_id = l.id) AS machines
FROM licenses l JOIN orgs o ON o.id = l.org_id JOIN products p ON p.id = l.product_id
WHERE (:org IS NULL OR l.org_id = :org) ORDER BY l.id LIMIT :limit"""

SEAT_USE = """
SELECT hour, peak_seats, checkins FROM usage_hourly
WHERE license_id = :license AND hour >= :since ORDER BY hour"""

MACHINES = """
SELECT m.fingerprint, m.first_seen, m.last_seen,
    EXISTS (SELECT 1 FROM seats s WHERE s.machine_id = m.id AND s.expires_at > :now) AS seated
FROM machines m WHERE m.license_id = :license ORDER BY m.last_seen DESC LIMIT :limit"""

COUNTRIES = """
SELECT coalesce(c.country, '') AS country, count(DISTINCT c.machine_id) AS machines,
    count(DISTINCT c.day) AS days, sum(c.checkins) AS checkins, sum(c.denials) AS denials
FROM connections c WHERE c.license_id = :license AND c.day >= :since_day
GROUP BY 1 ORDER BY checkins DESC, country"""

SAMPLE_SEATS = f"""
INSERT INTO usage_hourly (license_id, hour, peak_seats)
SELECT license_id, :now - :now % {HOUR}, count(*) FROM seats WHERE expires_at > :now
GROUP BY license_id
ON CONFLICT (license_id, hour) DO UPDATE SET peak_seats = max(peak_seats, excluded.peak_seats)"""


def checkins_per_hour(conn: sqlite3.Connection, org: int | None, since: int) -> dict[int, int]:
    cursor = conn.execute(CHECKINS_PER_HOUR, {"org": org, "since": since - since % HOUR})
    return {int(hour): int(count) for hour, count in cursor}


def seats_per_product(conn: sqlite3.Connection, org: int | None, now: int) -> list[dict[str, Any]]:
    rows = conn.execute(SEATS_PER_PRODUCT, {"org": org, "now": now}).fetchall()
    return [
        {"product": code, "licenses": n, "licensed": int(seats or 0), "in_use": int(used or 0)}
        for code, n, seats, used in rows
    ]


def license_rows(
    conn: sqlite3.Connection, org: int | None, now: int, limit: int = 1000
) -> list[dict[str, Any]]:
    return dicts(conn.execute(LICENSE_ROWS, {"org": org, "now": now, "limit": limit}))


def seat_use(conn: sqlite3.Connection, license_id: int, since: int) -> list[dict[str, Any]]:
    return dicts(conn.execute(SEAT_USE, {"license": license_id, "since": since}))


def machines(
    conn: sqlite3.Connection, license_id: int, now: int, limit: int = 500
) -> list[dict[str, Any]]:
    return dicts(conn.execute(MACHINES, {"license": license_id, "now": now, "limit": limit}))


def countries(conn: sqlite3.Connection, license_id: int, since_day: str) -> list[dict[str, Any]]:
    return dicts(conn.execute(COUNTRIES, {"license": license_id, "since_day": since_day}))


def sample_seats(conn: sqlite3.Connection, now: int) -> int:
    """Record each license's seats in use as this hour's peak (if higher)."""
    return conn.execute(SAMPLE_SEATS, {"now": now}).rowcount


def org_by_id(conn: sqlite3.Connection, org_id: int) -> dict[str, Any] | None:
    rows = dicts(
        conn.execute(
            "SELECT id, slug, name, ip_precision, retention_days FROM orgs WHERE id = ?",
            (org_id,),
        )
    )
    return rows[0] if rows else None
