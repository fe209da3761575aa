"""The audit log in PostgreSQL: appended in the caller's transaction, read back for proofs.

Appends from every node and connection are serialized by a transaction-scoped advisory
lock taken before the chain's head is read: the head a transaction links to is the last
committed entry, and entries commit in chain order (the lock is held until the commit),
so the chain stays linear however many nodes append at once.
"""

import dataclasses
import json
import re
from collections.abc import Iterator
from typing import Any

import psycopg

from licmon.domain.audit import GENESIS, AuditEntry, StoredEntry, entry_hash, first_broken
from licmon.domain.redaction import redact_addresses
from licmon.store.postgres.rowdicts import scalar

AUDIT_LOCK = 0x6C69636D6F6E4175  # pg_advisory_xact_lock key of the audit chain's head
COLUMNS = "id, at, actor, action, target, outcome, details, prev_hash, hash"
FREE_TEXT = frozenset({"justification", "reason", "note", "comment"})  # typed by people
ORGS_NAMED_IN = """SELECT id, slug, name FROM orgs
WHERE strpos(lower(%(text)s), lower(slug)) > 0 OR strpos(lower(%(text)s), lower(name)) > 0"""

Conn = psycopg.Connection[Any]


def redact(text: str) -> str:
    """Free text typed by staff goes into the audit log without anything like an address."""
    return redact_addresses(text)


def without_org_names(conn: Conn, details: dict[str, Any]) -> dict[str, Any]:
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


def append(conn: Conn, entry: AuditEntry) -> int:
    """Append one entry, chained to the last; must run inside the caller's transaction."""
    entry = dataclasses.replace(entry, details=without_org_names(conn, entry.details))
    conn.execute("SELECT pg_advisory_xact_lock(%s)", (AUDIT_LOCK,))
    row = conn.execute("SELECT hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
    prev = row[0] if row else GENESIS
    inserted = conn.execute(
        "INSERT INTO audit (at, actor, action, target, outcome, details, prev_hash, hash) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
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
    ).fetchone()
    return int(inserted[0]) if inserted else 0


def entries(conn: Conn, after: int = 0) -> Iterator[StoredEntry]:
    """Every entry after ``after`` in chain order, streamed (a server-side cursor)."""
    with conn.cursor(name="audit_entries") as cursor:
        cursor.itersize = 2000
        cursor.execute(f"SELECT {COLUMNS} FROM audit WHERE id > %s ORDER BY id", (after,))
        for row in cursor:
            yield stored(row)


def recent(conn: Conn, limit: int, target: str | None = None) -> list[StoredEntry]:
    where, params = ("WHERE target = %s", [target]) if target else ("", [])
    cursor = conn.execute(
        f"SELECT {COLUMNS} FROM audit {where} ORDER BY id DESC LIMIT %s", [*params, limit]
    )
    return [stored(row) for row in cursor]


def about(conn: Conn, targets: list[str]) -> list[StoredEntry]:
    cursor = conn.execute(
        f"SELECT {COLUMNS} FROM audit WHERE target = ANY(%s) ORDER BY id", (targets,)
    )
    return [stored(row) for row in cursor]


def by_ids(conn: Conn, ids: list[int]) -> list[StoredEntry]:
    cursor = conn.execute(f"SELECT {COLUMNS} FROM audit WHERE id = ANY(%s) ORDER BY id", (ids,))
    return [stored(row) for row in cursor]


def stored(row: Any) -> StoredEntry:
    details = row[6] if isinstance(row[6], dict) else json.loads(row[6])
    entry = AuditEntry(int(row[1]), row[2], row[3], row[4], row[5], details)
    return StoredEntry(int(row[0]), entry, row[7], row[8])


def head(conn: Conn) -> tuple[int, str]:
    """How many entries the log holds and the hash of the last one."""
    count = conn.execute("SELECT count(*) FROM audit").fetchone()
    row = conn.execute("SELECT hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
    return int(count[0]) if count else 0, row[0] if row else GENESIS


def hashes_at(conn: Conn, positions: frozenset[int]) -> dict[int, str]:
    """The hash of the entry at each 1-based position."""
    if not positions:
        return {}
    cursor = conn.execute(
        "SELECT n, hash FROM (SELECT row_number() OVER (ORDER BY id) AS n, hash FROM audit "
        "ORDER BY id LIMIT %s) numbered WHERE n = ANY(%s)",
        (max(positions), sorted(positions)),
    )
    return {int(n): digest for n, digest in cursor}


def verify(conn: Conn) -> tuple[int, StoredEntry | None]:
    """How many entries there are, and the first broken one (None: the chain holds)."""
    return int(scalar(conn, "SELECT count(*) FROM audit")), first_broken(entries(conn))
