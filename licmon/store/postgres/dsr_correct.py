"""Rectification's SQL on PostgreSQL (``licmon.store.corrections`` runs it; a machine's
move runs as the gateway role: moved rows meet on their address)."""

from licmon.domain.audit import AuditEntry
from licmon.store.postgres import audit_sql, catalog, retention_sql, vault
from licmon.store.postgres.audit_sql import Conn

MACHINE = f"""SELECT m.id, l.org_id, {vault.held_clause("m.license_id", "l.org_id", "m.id")}
FROM machines m JOIN licenses l ON l.id = m.license_id
WHERE m.fingerprint = %(fingerprint)s AND m.license_id = %(license)s"""
# A moved row that meets a row of the same day and address under the right machine
# adds its counts to it.
MERGE = """UPDATE connections AS t SET
    first_seen = least(t.first_seen, s.first_seen), last_seen = greatest(t.last_seen, s.last_seen),
    checkins = t.checkins + s.checkins, denials = t.denials + s.denials,
    retain_until = greatest(t.retain_until, s.retain_until),
    restricted = greatest(t.restricted, s.restricted)
FROM connections AS s
WHERE s.machine_id = %(source)s AND t.machine_id = %(target)s AND t.day = s.day
    AND t.address = s.address"""
DROP_MERGED = """DELETE FROM connections WHERE machine_id = %(source)s AND EXISTS (
    SELECT 1 FROM connections t WHERE t.machine_id = %(target)s AND t.day = connections.day
    AND t.address = connections.address)"""


def machine_row(
    conn: Conn, fingerprint: str, license_id: int, now: int
) -> tuple[int, int, bool] | None:
    row = conn.execute(
        MACHINE, {"fingerprint": fingerprint, "license": license_id, "now": now}
    ).fetchone()
    return None if row is None else (int(row[0]), int(row[1]), bool(row[2]))


def license_org(conn: Conn, license_id: int) -> int | None:
    row = conn.execute("SELECT org_id FROM licenses WHERE id = %s", (license_id,)).fetchone()
    return None if row is None else int(row[0])


def connection_ids(conn: Conn, machine_id: int) -> list[int]:
    sql = "SELECT id FROM connections WHERE machine_id = %s"
    return [int(r[0]) for r in conn.execute(sql, (machine_id,)).fetchall()]


def drop_seat(conn: Conn, machine_id: int) -> bool:
    held = conn.execute("SELECT 1 FROM seats WHERE machine_id = %s", (machine_id,)).fetchone()
    conn.execute("DELETE FROM seats WHERE machine_id = %s", (machine_id,))
    return held is not None


def machine_id(conn: Conn, fingerprint: str, license_id: int) -> int | None:
    row = conn.execute(
        "SELECT id FROM machines WHERE fingerprint = %s AND license_id = %s",
        (fingerprint, license_id),
    ).fetchone()
    return None if row is None else int(row[0])


def reattribute(conn: Conn, machine_id: int, license_id: int) -> None:
    conn.execute("UPDATE machines SET license_id = %s WHERE id = %s", (license_id, machine_id))
    conn.execute(
        "UPDATE connections SET license_id = %s WHERE machine_id = %s", (license_id, machine_id)
    )


def merge(conn: Conn, source: int, target: int, license_id: int) -> None:
    ids = {"source": source, "target": target}
    conn.execute(MERGE, ids)  # rows meet on their address
    conn.execute(DROP_MERGED, ids)
    conn.execute(
        "UPDATE connections SET license_id = %s, machine_id = %s WHERE machine_id = %s",
        (license_id, target, source),
    )
    conn.execute(  # last_seen stays the right machine's: updating it counts a check-in
        "UPDATE machines SET first_seen = least(first_seen, (SELECT first_seen FROM machines "
        "WHERE id = %(source)s)) WHERE id = %(target)s",
        ids,
    )
    conn.execute("DELETE FROM machines WHERE id = %s", (source,))


def apply_policy(conn: Conn, org_id: int, first_row: int, last_row: int) -> None:
    retention_sql.apply_policy(conn, [org_id], first_row, last_row)


def org_id(conn: Conn, slug: str) -> int:
    return catalog.org_by_slug(conn, slug).id


def rename_org(conn: Conn, org_id: int, name: str) -> None:
    conn.execute("UPDATE orgs SET name = %s WHERE id = %s", (name, org_id))


def audit(conn: Conn, entry: AuditEntry) -> None:
    audit_sql.append(conn, entry)
