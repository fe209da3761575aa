"""Rectification's SQL on SQLite (``licmon.store.corrections`` runs it)."""

import sqlite3

from licmon.domain.audit import AuditEntry
from licmon.store.sqlite import audit_sql, catalog, retention_sql, vault
from licmon.store.sqlite.personal import privileged

MACHINE = f"""SELECT m.id, l.org_id, {vault.held_clause("m.license_id", "l.org_id", "m.id")}
FROM machines m JOIN licenses l ON l.id = m.license_id
WHERE m.fingerprint = :fingerprint AND m.license_id = :license"""
# A moved row that meets a row of the same day and address under the right machine
# adds its counts to it.
MERGE = """UPDATE connections AS t SET
    first_seen = min(t.first_seen, s.first_seen), last_seen = max(t.last_seen, s.last_seen),
    checkins = t.checkins + s.checkins, denials = t.denials + s.denials,
    retain_until = max(t.retain_until, s.retain_until), restricted = max(t.restricted, s.restricted)
FROM connections AS s
WHERE s.machine_id = :source AND t.machine_id = :target AND t.day = s.day
    AND t.address = s.address"""
DROP_MERGED = """DELETE FROM connections WHERE machine_id = :source AND EXISTS (
    SELECT 1 FROM connections t WHERE t.machine_id = :target AND t.day = connections.day
    AND t.address = connections.address)"""


def machine_row(
    conn: sqlite3.Connection, fingerprint: str, license_id: int, now: int
) -> tuple[int, int, bool] | None:
    row = conn.execute(
        MACHINE, {"fingerprint": fingerprint, "license": license_id, "now": now}
    ).fetchone()
    return None if row is None else (int(row[0]), int(row[1]), bool(row[2]))


def license_org(conn: sqlite3.Connection, license_id: int) -> int | None:
    row = conn.execute("SELECT org_id FROM licenses WHERE id = ?", (license_id,)).fetchone()
    return None if row is None else int(row[0])


def connection_ids(conn: sqlite3.Connection, machine_id: int) -> list[int]:
    sql = "SELECT id FROM connections WHERE machine_id = ?"
    return [int(r[0]) for r in conn.execute(sql, (machine_id,)).fetchall()]


def drop_seat(conn: sqlite3.Connection, machine_id: int) -> bool:
    held = conn.execute("SELECT 1 FROM seats WHERE machine_id = ?", (machine_id,)).fetchone()
    conn.execute("DELETE FROM seats WHERE machine_id = ?", (machine_id,))
    return held is not None


def machine_id(conn: sqlite3.Connection, fingerprint: str, license_id: int) -> int | None:
    row = conn.execute(
        "SELECT id FROM machines WHERE fingerprint = ? AND license_id = ?",
        (fingerprint, license_id),
    ).fetchone()
    return None if row is None else int(row[0])


def reattribute(conn: sqlite3.Connection, machine_id: int, license_id: int) -> None:
    conn.execute("UPDATE machines SET license_id = ? WHERE id = ?", (license_id, machine_id))
    conn.execute(
        "UPDATE connections SET license_id = ? WHERE machine_id = ?", (license_id, machine_id)
    )


def merge(conn: sqlite3.Connection, source: int, target: int, license_id: int) -> None:
    ids = {"source": source, "target": target}
    with privileged(conn):  # rows meet on their address
        conn.execute(MERGE, ids)
        conn.execute(DROP_MERGED, ids)
    conn.execute(
        "UPDATE connections SET license_id = ?, machine_id = ? WHERE machine_id = ?",
        (license_id, target, source),
    )
    conn.execute(  # last_seen stays the right machine's: updating it counts a check-in
        "UPDATE machines SET first_seen = min(first_seen, (SELECT first_seen FROM machines "
        "WHERE id = :source)) WHERE id = :target",
        ids,
    )
    conn.execute("DELETE FROM machines WHERE id = ?", (source,))


def apply_policy(conn: sqlite3.Connection, org_id: int, first_row: int, last_row: int) -> None:
    retention_sql.apply_policy(conn, [org_id], first_row, last_row)


def org_id(conn: sqlite3.Connection, slug: str) -> int:
    return catalog.org_by_slug(conn, slug).id


def rename_org(conn: sqlite3.Connection, org_id: int, name: str) -> None:
    conn.execute("UPDATE orgs SET name = ? WHERE id = ?", (name, org_id))


def audit(conn: sqlite3.Connection, entry: AuditEntry) -> None:
    audit_sql.append(conn, entry)
