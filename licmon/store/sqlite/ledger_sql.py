"""Re-applying the erasure ledger to a restored database, through the erasure paths.

The ledger holds keyed hashes only, so each subject kind's candidates in the database are
hashed and matched; a match is erased again exactly as the request erased it (the same
functions, the same scope, legal holds respected), as the system acting on the ledger.
"""

import re
import sqlite3
from collections.abc import Iterator
from functools import partial

from licmon.domain.access import ReadContext, Role
from licmon.domain.network import parse_ip
from licmon.domain.purposes import DSR
from licmon.domain.subjects import Subject, SubjectKind
from licmon.store import erasure_ledger
from licmon.store.erasure_ledger import Erasure, ErasureLedger
from licmon.store.sqlite import dsr_sql, org_data
from licmon.store.sqlite.personal import privileged

LEDGER_ACTOR = "system:erasure-ledger"
JUSTIFICATION = "an erasure in the erasure ledger, re-applied after a restore"
_IP_LIKE = re.compile(r"[0-9A-Fa-f:.]{7,45}")
CANDIDATES = {
    SubjectKind.LICENSE: ("SELECT CAST(id AS TEXT) FROM licenses",),
    SubjectKind.MACHINE: ("SELECT DISTINCT fingerprint FROM machines",),
    SubjectKind.ORG: ("SELECT slug FROM orgs",),
    SubjectKind.ADDRESS: (
        "SELECT DISTINCT address FROM connections WHERE address != ''",
        "SELECT DISTINCT address FROM login_attempts WHERE address != ''",
    ),
}


def reapply(
    conn: sqlite3.Connection, ledger: ErasureLedger, erasures: list[Erasure], now: int
) -> int:
    """Erase again every subject of ``erasures`` still in the database; how many matched."""
    erase = partial(_erase, conn, now=now)
    return erasure_ledger.reapply(ledger, erasures, partial(_candidates, conn), erase)


def _erase(conn: sqlite3.Connection, subject: Subject, org_id: int | None, *, now: int) -> None:
    ctx = ReadContext(LEDGER_ACTOR, Role.OPERATOR, DSR, JUSTIFICATION, org_id)
    if subject.kind is SubjectKind.ORG:
        org_data.erase(conn, ctx, subject.value, now)
    else:
        dsr_sql.erase(conn, ctx, subject, now)


def _candidates(conn: sqlite3.Connection, kind: SubjectKind) -> Iterator[str]:
    with privileged(conn):  # addresses: the columns the gateway guards
        for sql in CANDIDATES[kind]:
            if _has_table(conn, sql.split(" FROM ")[1].split()[0]):
                yield from (str(value) for (value,) in conn.execute(sql).fetchall())
        if kind is SubjectKind.ADDRESS and _has_table(conn, "flags"):
            yield from _evidence_addresses(conn)


def _evidence_addresses(conn: sqlite3.Connection) -> Iterator[str]:
    rows = conn.execute("SELECT evidence FROM flags WHERE evidence IS NOT NULL").fetchall()
    for (evidence,) in rows:
        for word in _IP_LIKE.findall(str(evidence)):
            if (address := parse_ip(word)) is not None:
                yield str(address)


def _has_table(conn: sqlite3.Connection, table: str) -> bool:
    found = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).fetchone()
    return found is not None
