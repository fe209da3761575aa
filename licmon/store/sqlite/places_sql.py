"""An organization's declared networks (offices, VPN egresses) as SQL, each change audited.

These are the organization's own networks, not a person's address: the audit entry names the
place by id and kind only, never the network.
"""

import sqlite3

from licmon.domain.audit import AuditEntry
from licmon.domain.detectors.known import PLACE_KINDS, KnownPlace, parse_place_network
from licmon.errors import BadRequest, Conflict, NotFound
from licmon.store.sqlite import audit_sql

SCHEMA = (
    """CREATE TABLE org_places (
        id INTEGER PRIMARY KEY,
        org_id INTEGER NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
        network TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('office', 'vpn')),
        label TEXT NOT NULL DEFAULT '',
        created_at INTEGER NOT NULL,
        UNIQUE (org_id, network)
    )""",
)


def add(
    conn: sqlite3.Connection, org: str, network: str, kind: str, label: str, actor: str, now: int
) -> KnownPlace:
    if kind not in PLACE_KINDS:
        raise BadRequest(f"a known place is one of {', '.join(PLACE_KINDS)}, not {kind!r}")
    try:
        cidr = str(parse_place_network(network))
    except ValueError as exc:
        raise BadRequest(str(exc)) from None
    org_id = _org_id(conn, org)
    try:
        cursor = conn.execute(
            "INSERT INTO org_places (org_id, network, kind, label, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (org_id, cidr, kind, label.strip()[:200], now),
        )
    except sqlite3.IntegrityError:
        raise Conflict(f"organization {org} already declared this network") from None
    _audit(conn, actor, now, "place.add", int(cursor.lastrowid or 0), kind)
    return KnownPlace(org_id, cidr, kind, label.strip()[:200])


def remove(conn: sqlite3.Connection, org: str, network: str, actor: str, now: int) -> None:
    try:
        cidr = str(parse_place_network(network))
    except ValueError as exc:
        raise BadRequest(str(exc)) from None
    row = conn.execute(
        "SELECT id, kind FROM org_places WHERE org_id = ? AND network = ?",
        (_org_id(conn, org), cidr),
    ).fetchone()
    if row is None:
        raise NotFound(f"organization {org} has not declared this network")
    conn.execute("DELETE FROM org_places WHERE id = ?", (row[0],))
    _audit(conn, actor, now, "place.remove", int(row[0]), str(row[1]))


def list_all(conn: sqlite3.Connection, org: str | None = None) -> list[KnownPlace]:
    sql = "SELECT p.org_id, p.network, p.kind, p.label FROM org_places p"
    args: tuple[object, ...] = ()
    if org is not None:
        sql += " WHERE p.org_id = ?"
        args = (_org_id(conn, org),)
    return [KnownPlace(*row) for row in conn.execute(sql + " ORDER BY p.org_id, p.id", args)]


def _org_id(conn: sqlite3.Connection, slug: str) -> int:
    row = conn.execute("SELECT id FROM orgs WHERE slug = ?", (slug,)).fetchone()
    if row is None:
        raise NotFound(f"no organization {slug}")
    return int(row[0])


def _audit(
    conn: sqlite3.Connection, actor: str, now: int, action: str, id_: int, kind: str
) -> None:
    audit_sql.append(conn, AuditEntry(now, actor, action, f"place:{id_}", "ok", {"kind": kind}))
