"""The audit log's entries and their hash chain. Entries hold ids, never personal data."""

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

GENESIS = "0" * 64


@dataclass(frozen=True, slots=True)
class AuditEntry:
    at: int
    actor: str
    action: str
    target: str
    outcome: str = "ok"
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StoredEntry:
    id: int
    entry: AuditEntry
    prev_hash: str
    hash: str


def entry_hash(prev_hash: str, entry: AuditEntry) -> str:
    body = json.dumps(
        [
            prev_hash,
            entry.at,
            entry.actor,
            entry.action,
            entry.target,
            entry.outcome,
            entry.details,
        ],
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(body.encode()).hexdigest()


def first_broken(entries: Iterable[StoredEntry]) -> StoredEntry | None:
    """The first entry whose link or hash does not match, or None when the chain holds."""
    prev = GENESIS
    for stored in entries:
        if stored.prev_hash != prev or entry_hash(prev, stored.entry) != stored.hash:
            return stored
        prev = stored.hash
    return None


SYSTEM_ACTOR = "system"
