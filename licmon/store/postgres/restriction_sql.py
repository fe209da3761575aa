"""Restriction markers: written by ``dsr restrict``, inherited by every row written later
for the subject (connections at check-in, flags when raised).

``address`` is personal data (purpose ``dsr``): the functions that name it run as the
gateway role.
"""

from licmon.domain.network import parse_ip
from licmon.domain.subjects import Subject, SubjectKind
from licmon.store.postgres.audit_sql import Conn

_SCOPE = "(r.org_id IS NULL OR r.org_id = %(org)s)"
COVERS_CHECKIN = f"""SELECT 1 FROM restrictions r WHERE {_SCOPE} AND (
    r.license_id = %(license)s OR r.machine = %(machine)s OR r.address = %(address)s) LIMIT 1"""
COVERS_LICENSE = f"""SELECT 1 FROM restrictions r WHERE r.license_id = %(license)s AND {_SCOPE}
    LIMIT 1"""
RESTRICT_LICENSE_FLAGS = """UPDATE flags SET restricted = 1 WHERE restricted = 0
    AND license_id = ANY(%s)"""
EXISTS = """SELECT 1 FROM restrictions WHERE license_id IS NOT DISTINCT FROM %s::bigint
    AND machine IS NOT DISTINCT FROM %s::text AND address IS NOT DISTINCT FROM %s::text
    AND org_id IS NOT DISTINCT FROM %s::bigint"""

Marker = tuple[int | None, str | None, str | None]


def add_marker(conn: Conn, subject: Subject, org_id: int | None, actor: str, now: int) -> int:
    """The lasting marker of a license, machine or address subject (an organization's is
    one per license). Returns the markers written."""
    columns = _marker_columns(conn, subject, org_id)
    for license_id, machine, address in columns:
        if conn.execute(EXISTS, (license_id, machine, address, org_id)).fetchone() is None:
            conn.execute(
                "INSERT INTO restrictions (kind, license_id, machine, address, org_id, "
                "created_by, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                (_kind(license_id, machine), license_id, machine, address, org_id, actor, now),
            )
    return len(columns)


def covers_checkin(conn: Conn, license_id: int, org_id: int, machine: str, address: str) -> bool:
    params = {"license": license_id, "org": org_id, "machine": machine, "address": address}
    return conn.execute(COVERS_CHECKIN, params).fetchone() is not None


def covers_license(conn: Conn, license_id: int, org_id: int) -> bool:
    params = {"license": license_id, "org": org_id}
    return conn.execute(COVERS_LICENSE, params).fetchone() is not None


def restrict_subject_flags(conn: Conn, subject: Subject, org_id: int | None) -> int:
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
    return conn.execute(RESTRICT_LICENSE_FLAGS, (sorted(licenses),)).rowcount


def _in_scope(conn: Conn, license_id: int, org_id: int | None) -> bool:
    if org_id is None:
        return True
    row = conn.execute("SELECT org_id FROM licenses WHERE id = %s", (license_id,)).fetchone()
    return row is not None and int(row[0]) == org_id


def _marker_columns(conn: Conn, subject: Subject, org_id: int | None) -> list[Marker]:
    if subject.kind is SubjectKind.LICENSE:
        return [(int(subject.value), None, None)]
    if subject.kind is SubjectKind.MACHINE:
        return [(None, subject.value, None)]
    if subject.kind is SubjectKind.ADDRESS:
        return [(None, None, str(parse_ip(subject.value)))]
    rows = conn.execute(
        "SELECT l.id FROM licenses l JOIN orgs o ON o.id = l.org_id WHERE o.slug = %s "
        "AND (%s::bigint IS NULL OR o.id = %s::bigint) ORDER BY l.id",
        (subject.value, org_id, org_id),
    )
    return [(int(row[0]), None, None) for row in rows]


def _kind(license_id: int | None, machine: str | None) -> str:
    if license_id is not None:
        return "license"
    return "machine" if machine is not None else "address"
