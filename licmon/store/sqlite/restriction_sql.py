"""Restriction markers: written by ``dsr restrict``, inherited by every row written later
for the subject (connections at check-in, flags when raised).

``address`` is personal data (purpose ``dsr``) and read only while ``privileged``.
"""

import json
import sqlite3

from licmon.domain.network import parse_ip
from licmon.domain.subjects import Subject, SubjectKind
from licmon.store.sqlite.personal import privileged

# Positional (?1: the organization): a check-in runs COVERS_CHECKIN, and a named
# parameter costs a lookup each.
_SCOPE = "(r.org_id IS NULL OR r.org_id = ?1)"
COVERS_CHECKIN = f"""SELECT 1 FROM restrictions r WHERE {_SCOPE} AND (
    r.license_id = ?2 OR r.machine = ?3 OR r.address = ?4) LIMIT 1"""
COVERS_LICENSE = f"""SELECT 1 FROM restrictions r WHERE r.license_id = ?2 AND {_SCOPE}
    LIMIT 1"""
RESTRICT_LICENSE_FLAGS = """UPDATE flags SET restricted = 1 WHERE restricted = 0
    AND license_id IN (SELECT value FROM json_each(?))"""


def add_marker(
    conn: sqlite3.Connection, subject: Subject, org_id: int | None, actor: str, now: int
) -> int:
    """The lasting marker of a license, machine or address subject (an organization's is
    one per license). Returns the markers written."""
    columns = _marker_columns(conn, subject, org_id)
    with privileged(conn):  # the address column is personal data
        for license_id, machine, address in columns:
            if not _exists(conn, license_id, machine, address, org_id):
                conn.execute(
                    "INSERT INTO restrictions (kind, license_id, machine, address, org_id, "
                    "created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (_kind(license_id, machine), license_id, machine, address, org_id, actor, now),
                )
    return len(columns)


def covers_checkin(
    conn: sqlite3.Connection, license_id: int, org_id: int, machine: str, address: str
) -> bool:
    with privileged(conn):
        params = (org_id, license_id, machine, address)
        return conn.execute(COVERS_CHECKIN, params).fetchone() is not None


def covers_license(conn: sqlite3.Connection, license_id: int, org_id: int) -> bool:
    return conn.execute(COVERS_LICENSE, (org_id, license_id)).fetchone() is not None


def restrict_subject_flags(conn: sqlite3.Connection, subject: Subject, org_id: int | None) -> int:
    """The flags of a restricted license (or organization) are restricted with it; flags name
    no machine or host, so a machine's or an address's restriction reaches the flags raised
    from its check-ins by keeping it out of the detectors from now on."""
    licenses = [
        license_id
        for license_id, _, _ in _marker_columns(conn, subject, org_id)
        if license_id is not None and _in_scope(conn, license_id, org_id)
    ]
    if not licenses:
        return 0
    return conn.execute(RESTRICT_LICENSE_FLAGS, (json.dumps(sorted(licenses)),)).rowcount


def _in_scope(conn: sqlite3.Connection, license_id: int, org_id: int | None) -> bool:
    if org_id is None:
        return True
    row = conn.execute("SELECT org_id FROM licenses WHERE id = ?", (license_id,)).fetchone()
    return row is not None and int(row[0]) == org_id


def _marker_columns(
    conn: sqlite3.Connection, subject: Subject, org_id: int | None
) -> list[tuple[int | None, str | None, str | None]]:
    if subject.kind is SubjectKind.LICENSE:
        return [(int(subject.value), None, None)]
    if subject.kind is SubjectKind.MACHINE:
        return [(None, subject.value, None)]
    if subject.kind is SubjectKind.ADDRESS:
        return [(None, None, str(parse_ip(subject.value)))]
    rows = conn.execute(
        "SELECT l.id FROM licenses l JOIN orgs o ON o.id = l.org_id WHERE o.slug = ?"
        + ("" if org_id is None else f" AND o.id = {int(org_id)}"),
        (subject.value,),
    )
    return [(int(row[0]), None, None) for row in rows]


def _exists(
    conn: sqlite3.Connection,
    license_id: int | None,
    machine: str | None,
    address: str | None,
    org_id: int | None,
) -> bool:
    row = conn.execute(
        "SELECT 1 FROM restrictions WHERE license_id IS ? AND machine IS ? AND address IS ? "
        "AND org_id IS ?",
        (license_id, machine, address, org_id),
    ).fetchone()
    return row is not None


def _kind(license_id: int | None, machine: str | None) -> str:
    if license_id is not None:
        return "license"
    return "machine" if machine is not None else "address"
