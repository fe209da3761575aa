"""Per-machine rules of a check-in as SQL: activation limits, program instances, lease chains.

The order they run in is licmon.store.machine_admission's (shared by the backends).
"""

import sqlite3

from licmon.domain import chain, node_locks
from licmon.domain.models import CheckinCommand, DenyReason, License, LicenseTerms

ACTIVATIONS_TAKEN = """
SELECT count(*) FROM (SELECT 1 FROM machines
    WHERE license_id = ? AND activated_at IS NOT NULL LIMIT ?)"""
OTHER_PROCESSES = """
SELECT count(*) FROM machine_processes WHERE machine_id = ? AND process != ? AND expires_at > ?"""
# The other live instances, and whether this one is known (a renewal) or new.
PROCESSES = """
SELECT count(*) FILTER (WHERE process != :process AND expires_at > :now),
       coalesce(max(process = :process), 0)
FROM machine_processes WHERE machine_id = :machine"""
UPSERT_PROCESS = """
INSERT INTO machine_processes (machine_id, process, expires_at) VALUES (?, ?, ?)
ON CONFLICT (machine_id, process) DO UPDATE SET expires_at = excluded.expires_at"""
# The common case in one statement: the check-in continues the chain (presents its head,
# or the lease before it: a lost answer retried). A lease that is then refused leaves the
# chain one step ahead, which the next check-in's retry rule absorbs.
FOLLOW_CHAIN = """
UPDATE lease_chains SET head = :lease, previous = :presented, updated_at = :now
WHERE machine_id = :machine AND secret_hash = :secret
    AND (head = :presented OR previous = :presented)"""
UPSERT_CHAIN = """
INSERT INTO lease_chains (machine_id, secret_hash, head, previous, updated_at)
VALUES (?, ?, ?, ?, ?)
ON CONFLICT (machine_id) DO UPDATE SET secret_hash = excluded.secret_hash,
    head = excluded.head, previous = excluded.previous, updated_at = excluded.updated_at"""


def record_process(
    conn: sqlite3.Connection, cmd: CheckinCommand, machine_id: int, new: bool
) -> None:
    if new:  # a program start: forget instances that ended without a release
        conn.execute(
            "DELETE FROM machine_processes WHERE machine_id = ? AND expires_at <= ?",
            (machine_id, cmd.now),
        )
    conn.execute(UPSERT_PROCESS, (machine_id, cmd.process, cmd.lease_expires))


def advance_chain(
    conn: sqlite3.Connection, machine_id: int, head: chain.StoredChain, now: int
) -> None:
    conn.execute(UPSERT_CHAIN, (machine_id, head.secret_hash, head.head, head.previous, now))


def activation_denial(conn: sqlite3.Connection, lic: License, machine_id: int) -> DenyReason | None:
    """An activation-limit license: the machine is locked in, or a free activation is left
    (counting stops at the limit)."""
    limit = lic.terms.activation_limit
    if limit == 0:
        return None
    (activated,) = conn.execute(
        "SELECT activated_at IS NOT NULL FROM machines WHERE id = ?", (machine_id,)
    ).fetchone()
    count = 0
    if not activated:
        (count,) = conn.execute(ACTIVATIONS_TAKEN, (lic.id, limit)).fetchone()
    return node_locks.activation_denial(lic.terms, bool(activated), int(count))


def activate(conn: sqlite3.Connection, terms: LicenseTerms, machine_id: int, now: int) -> None:
    if terms.activation_limit:
        conn.execute(
            "UPDATE machines SET activated_at = ? WHERE id = ? AND activated_at IS NULL",
            (now, machine_id),
        )


def process_check(
    conn: sqlite3.Connection, cmd: CheckinCommand, machine_id: int
) -> tuple[DenyReason | None, bool]:
    """Refused when the other live instances fill the limit; and whether this one is new."""
    limit = cmd.license.terms.max_processes
    if cmd.process is None or limit == 0:
        return None, False
    others, known = conn.execute(
        PROCESSES, {"process": cmd.process, "now": cmd.now, "machine": machine_id}
    ).fetchone()
    return (DenyReason.PROCESSES_EXHAUSTED if others >= limit else None), not known


def chain_verdict(
    conn: sqlite3.Connection, cmd: CheckinCommand, machine_id: int
) -> chain.ChainVerdict | None:
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
        if conn.execute(FOLLOW_CHAIN, params).rowcount:
            return chain.ChainVerdict.FOLLOWS
    row = conn.execute(
        "SELECT secret_hash, head, previous FROM lease_chains WHERE machine_id = ?",
        (machine_id,),
    ).fetchone()
    stored = chain.StoredChain(bytes(row[0]), row[1], row[2]) if row else None
    return chain.judge(stored, link)


def release_process(conn: sqlite3.Connection, machine_id: int, process: str, now: int) -> bool:
    """This instance leaves; True when another instance still runs (the seat stays)."""
    conn.execute(
        "DELETE FROM machine_processes WHERE machine_id = ? AND process = ?",
        (machine_id, process),
    )
    (others,) = conn.execute(OTHER_PROCESSES, (machine_id, process, now)).fetchone()
    return int(others) > 0
