"""The audit log in PostgreSQL: appended in the caller's transaction (placeholder: issue 12's
privacy part replaces this file with the whole audit module)."""

import dataclasses
import json
from typing import Any

import psycopg

from licmon.domain.audit import GENESIS, AuditEntry, entry_hash

AUDIT_LOCK = 0x617564697400  # appends wait for each other: the chain stays linear


def append(conn: psycopg.Connection[Any], entry: AuditEntry) -> int:
    """Append one entry, chained to the last; must run inside the caller's transaction."""
    entry = dataclasses.replace(entry, details=dict(entry.details))
    conn.execute("SELECT pg_advisory_xact_lock(%s)", (AUDIT_LOCK,))
    row = conn.execute("SELECT hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
    prev = row[0] if row else GENESIS
    cursor = conn.execute(
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
    )
    (entry_id,) = cursor.fetchone() or (0,)
    return int(entry_id)
