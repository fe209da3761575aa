"""Machines past their deadline (``retain_until``: the organization's ``retention_days``
after last seen or after the last lease it held) are deleted by the retention job, with
their expired seats, unless a seat is live, a connection row still names them or a legal
hold keeps them."""

import psycopg

from licmon.domain.purposes import DAY
from licmon.store.postgres import vault
from licmon.store.postgres.audit_sql import Conn

MACHINE_HELD = vault.held_clause("m.license_id", "l.org_id", "m.id")
EXPIRED_MACHINES = f"""SELECT m.id FROM machines m JOIN licenses l ON l.id = m.license_id
WHERE m.retain_until <= %(now)s AND NOT {MACHINE_HELD}
  AND NOT EXISTS (SELECT 1 FROM seats s WHERE s.machine_id = m.id AND s.expires_at > %(now)s)
  AND NOT EXISTS (SELECT 1 FROM connections c WHERE c.machine_id = m.id)
ORDER BY m.id LIMIT %(limit)s"""
TIGHTEN_MACHINES = f"""
UPDATE machines SET retain_until = d.deadline FROM (
    SELECT m.id, greatest(m.last_seen, coalesce(max(s.expires_at), 0)) + {DAY} * o.retention_days
        AS deadline
    FROM machines m JOIN licenses l ON l.id = m.license_id JOIN orgs o ON o.id = l.org_id
    LEFT JOIN seats s ON s.machine_id = m.id
    WHERE o.id = ANY(%(orgs)s) GROUP BY m.id, o.retention_days) d
WHERE machines.id = d.id AND machines.retain_until > d.deadline"""


def tighten_deadlines(conn: Conn, orgs: list[int]) -> int:
    """Machines of organizations that changed their policy: a shorter retention shortens
    their deadline as if computed today (deadlines never grow). Returns the machines."""
    return conn.execute(TIGHTEN_MACHINES, {"orgs": orgs}).rowcount


def delete_expired(conn: Conn, now: int, limit: int = 10_000) -> int:
    """Delete expired machines; one still referenced elsewhere stays for the next run."""
    deleted = 0
    expired = conn.execute(EXPIRED_MACHINES, {"now": now, "limit": limit}).fetchall()
    for (machine_id,) in expired:
        try:
            with conn.transaction():
                conn.execute("DELETE FROM seats WHERE machine_id = %s", (machine_id,))
                conn.execute("DELETE FROM machines WHERE id = %s", (machine_id,))
        except psycopg.errors.IntegrityError:
            continue
        deleted += 1
    return deleted
