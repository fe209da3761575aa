"""The audit log in SQLite: appended in the caller's transaction, read back for proofs."""

import dataclasses
import json
import re
import sqlite3
from collections.abc import Iterator
from typing import Any

from licmon.domain.audit import GENESIS, AuditEntry, StoredEntry, entry_hash, first_broken
from licmon.domain.redaction import redact_addresses


def redact(text: str) -> str:
    """Free text typed by staff goes into the audit log without anything like an address."""
    return redact_addresses(text)


FREE_TEXT = frozenset({"justification", "reason", "note", "comment"})  # typed by people
ORGS_NAMED_IN = """SELECT id, slug, name FROM orgs
WHERE instr(lower(:text), lower(slug)) > 0 OR instr(lower(:text), lower(name)) > 0"""


def without_org_names(conn: sqlite3.Connection, details: dict[str, Any]) -> dict[str, Any]:
    """Details that name organizations by id only: a slug or name typed in free text (the
    FREE_TEXT keys) becomes ``org:<id>``, so that an erased organization's names leave
    nothing behind in a log that can never be rewritten."""
    free = {k: v for k, v in details.items() if k in FREE_TEXT and isinstance(v, str)}
    text = "\n".join(free.values())
    if not text:
        return details
    by_text = {
        name.strip().lower(): org_id
        for org_id, slug, full_name in conn.execute(ORGS_NAMED_IN, {"text": text})
        for name in (slug, full_name)
        if len(name.strip()) >= 3
    }
    if not by_text:
        return details
    pattern = re.compile(
        r"(?<!\w)(?:"
        + "|".join(re.escape(t) for t in sorted(by_text, key=len, reverse=True))
        + r")(?!\w)",
        re.IGNORECASE,
    )
    by_id = {
        k: pattern.sub(lambda m: f"org:{by_text[m.group(0).lower()]}", v) for k, v in free.items()
    }
    return {**details, **by_id}


def append(conn: sqlite3.Connection, entry: AuditEntry) -> int:
    """Append one entry, chained to the last; must run inside the caller's transaction."""
    entry = dataclasses.replace(entry, details=without_org_names(conn, entry.details))
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


def by_ids(conn: sqlite3.Connection, ids: list[int]) -> list[StoredEntry]:
    cursor = conn.execute(
        "SELECT id, at, actor, action, target, outcome, details, prev_hash, hash FROM audit "
        "WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id",
        (json.dumps(ids),),
    )
    return [_stored(row) for row in cursor]


def head(conn: sqlite3.Connection) -> tuple[int, str]:
    """How many entries the log holds and the hash of the last one."""
    (count,) = conn.execute("SELECT count(*) FROM audit").fetchone()
    row = conn.execute("SELECT hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
    return int(count), row[0] if row else GENESIS


def hashes_at(conn: sqlite3.Connection, positions: frozenset[int]) -> dict[int, str]:
    """The hash of the entry at each 1-based position, in one pass over the log."""
    found: dict[int, str] = {}
    if not positions:
        return found
    last = max(positions)
    for position, (digest,) in enumerate(conn.execute("SELECT hash FROM audit ORDER BY id"), 1):
        if position in positions:
            found[position] = digest
        if position >= last:
            break
    return found


def verify(conn: sqlite3.Connection) -> tuple[int, StoredEntry | None]:
    """How many entries there are, and the first broken one (None: the chain holds)."""
    (count,) = conn.execute("SELECT count(*) FROM audit").fetchone()
    return int(count), first_broken(entries(conn))
