"""The audit log in SQLite: appended in the caller's transaction, read back for proofs."""

import json
import sqlite3
from collections.abc import Iterator
from typing import Any

from licmon.domain.audit import GENESIS, AuditEntry, StoredEntry, entry_hash
from licmon.domain.redaction import redact_addresses


def redact(text: str) -> str:
    """Free text typed by staff goes into the audit log without anything like an address."""
    return redact_addresses(text)


def append(conn: sqlite3.Connection, entry: AuditEntry) -> int:
    """Append one entry, chained to the last; must run inside the caller's transaction."""
    row = conn.execute("SELECT hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
    prev = row[0] if row else GENESIS
    cursor = conn.execute(
        "INSERT INTO audit (at, actor, action, target, outcome, details, prev_hash, hash) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            entry.at,
            entry.actor,
            entry.action,
            entry.target,
            entry.outcome,
            json.dumps(entry.details, sort_keys=True),
            prev,
            entry_hash(prev, entry),
        ),
    )
    return int(cursor.lastrowid or 0)


def entries(conn: sqlite3.Connection, after: int = 0) -> Iterator[StoredEntry]:
    cursor = conn.execute(
        "SELECT id, at, actor, action, target, outcome, details, prev_hash, hash FROM audit "
        "WHERE id > ? ORDER BY id",
        (after,),
    )
    for row in cursor:
        yield _stored(row)


def recent(conn: sqlite3.Connection, limit: int, target: str | None = None) -> list[StoredEntry]:
    where, params = ("WHERE target = ?", [target]) if target else ("", [])
    cursor = conn.execute(
        "SELECT id, at, actor, action, target, outcome, details, prev_hash, hash FROM audit "
        f"{where} ORDER BY id DESC LIMIT ?",
        [*params, limit],
    )
    return [_stored(row) for row in cursor]


def about(conn: sqlite3.Connection, targets: list[str]) -> list[StoredEntry]:
    placeholders = ",".join("?" * len(targets))
    cursor = conn.execute(
        "SELECT id, at, actor, action, target, outcome, details, prev_hash, hash FROM audit "
        f"WHERE target IN ({placeholders}) ORDER BY id",
        targets,
    )
    return [_stored(row) for row in cursor]


def _stored(row: tuple[Any, ...]) -> StoredEntry:
    entry = AuditEntry(row[1], row[2], row[3], row[4], row[5], json.loads(row[6]))
    return StoredEntry(row[0], entry, row[7], row[8])
