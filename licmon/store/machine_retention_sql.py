"""Machines past their deadline (``retain_until``: the organization's ``retention_days``
after last seen or after the last lease it held) are deleted by the retention job, with
their expired seats, unless a seat is live, a connection row still names them or a legal
hold keeps them."""

import sqlite3

from licmon.store import vault

MACHINE_HELD = vault.held_clause("m.license_id", "l.org_id", "m.id")
EXPIRED_MACHINES = f"""SELECT m.id FROM machines m JOIN licenses l ON l.id = m.license_id
WHERE m.retain_until <= :now AND NOT {MACHINE_HELD}
  AND NOT EXISTS (SELECT 1 FROM seats s WHERE s.machine_id = m.id AND s.expires_at > :now)
  AND NOT EXISTS (SELECT 1 FROM connections c WHERE c.machine_id = m.id)
LIMIT :limit"""


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
