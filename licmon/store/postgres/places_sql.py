"""An organization's declared networks (offices, VPN egresses) as SQL, each change audited.

These are the organization's own networks, not a person's address: the audit entry names the
place by id and kind only, never the network.
"""

import psycopg

from licmon.domain.audit import AuditEntry
from licmon.domain.detectors.known import PLACE_KINDS, KnownPlace, parse_place_network
from licmon.errors import BadRequest, Conflict, NotFound
from licmon.store.postgres import audit_sql
from licmon.store.postgres.audit_sql import Conn


def add(
    conn: Conn, org: str, network: str, kind: str, label: str, actor: str, now: int
) -> KnownPlace:
    if kind not in PLACE_KINDS:
        raise BadRequest(f"a known place is one of {', '.join(PLACE_KINDS)}, not {kind!r}")
    cidr = _cidr(network)
    org_id = _org_id(conn, org)
    try:
        with conn.transaction():
            row = conn.execute(
                "INSERT INTO org_places (org_id, network, kind, label, created_at) "
                "VALUES (%s, %s, %s, %s, %s) RETURNING id",
                (org_id, cidr, kind, label.strip()[:200], now),
            ).fetchone()
    except psycopg.errors.UniqueViolation:
        raise Conflict(f"organization {org} already declared this network") from None
    _audit(conn, actor, now, "place.add", int(row[0]) if row else 0, kind)
    return KnownPlace(org_id, cidr, kind, label.strip()[:200])


def remove(conn: Conn, org: str, network: str, actor: str, now: int) -> None:
    cidr = _cidr(network)
    row = conn.execute(
        "DELETE FROM org_places WHERE org_id = %s AND network = %s RETURNING id, kind",
        (_org_id(conn, org), cidr),
    ).fetchone()
    if row is None:
        raise NotFound(f"organization {org} has not declared this network")
    _audit(conn, actor, now, "place.remove", int(row[0]), str(row[1]))


def list_all(conn: Conn, org: str | None = None) -> list[KnownPlace]:
    sql = "SELECT p.org_id, p.network, p.kind, p.label FROM org_places p"
    args: tuple[object, ...] = ()
    if org is not None:
        sql += " WHERE p.org_id = %s"
        args = (_org_id(conn, org),)
    return [KnownPlace(*row) for row in conn.execute(sql + " ORDER BY p.org_id, p.id", args)]


def _cidr(network: str) -> str:
    try:
        return str(parse_place_network(network))
    except ValueError as exc:
        raise BadRequest(str(exc)) from None


def _org_id(conn: Conn, slug: str) -> int:
    row = conn.execute("SELECT id FROM orgs WHERE slug = %s", (slug,)).fetchone()
    if row is None:
        raise NotFound(f"no organization {slug}")
    return int(row[0])


def _audit(conn: Conn, actor: str, now: int, action: str, id_: int, kind: str) -> None:
    audit_sql.append(conn, AuditEntry(now, actor, action, f"place:{id_}", "ok", {"kind": kind}))
