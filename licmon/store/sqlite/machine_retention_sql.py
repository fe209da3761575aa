"""Machines past their deadline (``retain_until``: the organization's ``retention_days``
after last seen or after the last lease it held) are deleted by the retention job, with
their expired seats, unless a seat is live, a connection row still names them or a legal
hold keeps them."""

import json
import sqlite3

from licmon.domain.purposes import DAY
from licmon.store.sqlite import vault

MACHINE_HELD = vault.held_clause("m.license_id", "l.org_id", "m.id")
EXPIRED_MACHINES = f"""SELECT m.id FROM machines m JOIN licenses l ON l.id = m.license_id
WHERE m.retain_until <= :now AND NOT {MACHINE_HELD}
  AND NOT EXISTS (SELECT 1 FROM seats s WHERE s.machine_id = m.id AND s.expires_at > :now)
  AND NOT EXISTS (SELECT 1 FROM connections c WHERE c.machine_id = m.id)
LIMIT :limit"""
TIGHTEN_MACHINES = f"""
UPDATE machines SET retain_until = d.deadline FROM (
    SELECT m.id, max(m.last_seen, coalesce(max(s.expires_at), 0)) + {DAY} * o.retention_days
        AS deadline
    FROM machines m JOIN licenses l ON l.id = m.license_id JOIN orgs o ON o.id = l.org_id
    LEFT JOIN seats s ON s.machine_id = m.id
    WHERE o.id IN (SELECT value FROM json_each(:orgs)) GROUP BY m.id) d
WHERE machines.id = d.id AND machines.retain_until > d.deadline"""


def tighten_deadlines(conn: sqlite3.Connection, orgs: list[int]) -> int:
    """Machines of organizations that changed their policy: a shorter retention shortens
    their deadline as if computed today (deadlines never grow). Returns the machines."""
    return conn.execute(TIGHTEN_MACHINES, {"orgs": json.dumps(orgs)}).rowcount


def delete_expired(conn: sqlite3.Connection, now: int, limit: int = 10_000) -> int:
    """Delete expired machines; one still referenced elsewhere stays for the next run."""
    deleted = 0
    for (machine_id,) in conn.execute(EXPIRED_MACHINES, {"now": now, "limit": limit}).fetchall():
        conn.execute("SAVEPOINT forget_machine")
        try:
            conn.execute("DELETE FROM seats WHERE machine_id = ?", (machine_id,))
            conn.execute("DELETE FROM machines WHERE id = ?", (machine_id,))
        except sqlite3.IntegrityError:
            conn.execute("ROLLBACK TO forget_machine")
        else:
            deleted += 1
        conn.execute("RELEASE forget_machine")
    return deleted
