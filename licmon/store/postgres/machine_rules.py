"""Per-machine rules of a check-in in PostgreSQL: activation limits, program instances,
lease chains (the same statements as licmon.store.sqlite.machine_rules).

The order they run in is licmon.store.machine_admission's (shared by the backends).
"""

from typing import Any

import psycopg

from licmon.domain import chain, node_locks
from licmon.domain.models import CheckinCommand, DenyReason, License, LicenseTerms

Conn = psycopg.Connection[Any]


def _row(cursor: psycopg.Cursor[Any]) -> tuple[Any, ...]:
    """The one row an aggregate or a primary-key lookup of a row known to exist returns."""
    row = cursor.fetchone()
    assert row is not None
    return tuple(row)


ACTIVATIONS_TAKEN = """
SELECT count(*) FROM (SELECT 1 FROM machines
    WHERE license_id = %s AND activated_at IS NOT NULL LIMIT %s) limited"""
OTHER_PROCESSES = """
SELECT count(*) FROM machine_processes
WHERE machine_id = %s AND process != %s AND expires_at > %s"""
# The other live instances, and whether this one is known (a renewal) or new.
PROCESSES = """
SELECT count(*) FILTER (WHERE process != %(process)s AND expires_at > %(now)s),
       coalesce(bool_or(process = %(process)s), false)
FROM machine_processes WHERE machine_id = %(machine)s"""
UPSERT_PROCESS = """
INSERT INTO machine_processes (machine_id, process, expires_at) VALUES (%s, %s, %s)
ON CONFLICT (machine_id, process) DO UPDATE SET expires_at = excluded.expires_at"""
# The common case in one statement: the check-in continues the chain (presents its head,
# or the lease before it: a lost answer retried). A lease that is then refused leaves the
# chain one step ahead, which the next check-in's retry rule absorbs.
FOLLOW_CHAIN = """
UPDATE lease_chains SET head = %(lease)s, previous = %(presented)s, updated_at = %(now)s
WHERE machine_id = %(machine)s AND secret_hash = %(secret)s
    AND (head = %(presented)s OR previous = %(presented)s)
RETURNING 1"""
UPSERT_CHAIN = """
INSERT INTO lease_chains (machine_id, secret_hash, head, previous, updated_at)
VALUES (%s, %s, %s, %s, %s)
ON CONFLICT (machine_id) DO UPDATE SET secret_hash = excluded.secret_hash,
    head = excluded.head, previous = excluded.previous, updated_at = excluded.updated_at"""


def record_process(conn: Conn, cmd: CheckinCommand, machine_id: int, new: bool) -> None:
    if new:  # a program start: forget instances that ended without a release
        conn.execute(
            "DELETE FROM machine_processes WHERE machine_id = %s AND expires_at <= %s",
            (machine_id, cmd.now),
        )
    conn.execute(UPSERT_PROCESS, (machine_id, cmd.process, cmd.lease_expires))


def advance_chain(conn: Conn, machine_id: int, head: chain.StoredChain, now: int) -> None:
    conn.execute(UPSERT_CHAIN, (machine_id, head.secret_hash, head.head, head.previous, now))


def activation_denial(conn: Conn, lic: License, machine_id: int) -> DenyReason | None:
    """An activation-limit license: the machine is locked in, or a free activation is left
    (counting stops at the limit)."""
    limit = lic.terms.activation_limit
    if limit == 0:
        return None
    (activated,) = _row(
        conn.execute("SELECT activated_at IS NOT NULL FROM machines WHERE id = %s", (machine_id,))
    )
    count = 0
    if not activated:
        (count,) = _row(conn.execute(ACTIVATIONS_TAKEN, (lic.id, limit)))
    return node_locks.activation_denial(lic.terms, bool(activated), int(count))


def activate(conn: Conn, terms: LicenseTerms, machine_id: int, now: int) -> None:
    if terms.activation_limit:
        conn.execute(
            "UPDATE machines SET activated_at = %s WHERE id = %s AND activated_at IS NULL",
            (now, machine_id),
        )


def process_check(
    conn: Conn, cmd: CheckinCommand, machine_id: int
) -> tuple[DenyReason | None, bool]:
    """Refused when the other live instances fill the limit; and whether this one is new."""
    limit = cmd.license.terms.max_processes
    if cmd.process is None or limit == 0:
        return None, False
    others, known = _row(
        conn.execute(PROCESSES, {"process": cmd.process, "now": cmd.now, "machine": machine_id})
    )
    return (DenyReason.PROCESSES_EXHAUSTED if others >= limit else None), not known


def chain_verdict(conn: Conn, cmd: CheckinCommand, machine_id: int) -> chain.ChainVerdict | None:
    link = cmd.chain
    if link is None:
        return None
    if link.presented is not None:
        params = {
            "lease": link.lease_id,
            "presented": link.presented,
            "now": cmd.now,
            "machine": machine_id,
            "secret": link.secret_hash,
        }
        # a fetched row, not rowcount: in the writer's pipeline rowcount is not known yet
        if conn.execute(FOLLOW_CHAIN, params).fetchone() is not None:
            return chain.ChainVerdict.FOLLOWS
    row = conn.execute(
        "SELECT secret_hash, head, previous FROM lease_chains WHERE machine_id = %s",
        (machine_id,),
    ).fetchone()
    stored = chain.StoredChain(bytes(row[0]), row[1], row[2]) if row else None
    return chain.judge(stored, link)


def release_process(conn: Conn, machine_id: int, process: str, now: int) -> bool:
    """This instance leaves; True when another instance still runs (the seat stays)."""
    conn.execute(
        "DELETE FROM machine_processes WHERE machine_id = %s AND process = %s",
        (machine_id, process),
    )
    (others,) = _row(conn.execute(OTHER_PROCESSES, (machine_id, process, now)))
    return int(others) > 0
