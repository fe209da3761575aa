"""The erasure ledger: what was erased on request, kept beside the database, outside it.

One line per erasure: the subject's kind, a keyed hash of the subject (never an address,
a fingerprint or a name), the organization the request was scoped to, and the cut-off (when
it was erased). ``licmon restore`` re-applies every erasure newer than the backup, so an
erased subject never comes back from an older copy. Lines are appended under a lock and
synced before the erasure commits: an erasure is never in the database without its line.
"""

import contextlib
import hashlib
import hmac
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from licmon.domain.network import parse_ip
from licmon.domain.subjects import Subject, SubjectKind
from licmon.secretfile import append_synced, secret_bytes

LEDGER_NAME = "erasure-ledger.jsonl"
KEY_NAME = "erasure-ledger.key"
KEY_BYTES = 32


@dataclass(frozen=True, slots=True)
class Erasure:
    kind: str
    subject: str  # HMAC-SHA256(ledger key, "kind:value"), hex
    org_id: int | None
    cut_off: int


@dataclass(frozen=True)
class ErasureLedger:
    directory: Path

    @classmethod
    def beside(cls, database: Path) -> "ErasureLedger":
        return cls(database.parent)

    @property
    def path(self) -> Path:
        return self.directory / LEDGER_NAME

    def subject_hash(self, kind: str, value: str) -> str:
        # made on first use, never in place of a lost key: the ledger's hashes need it
        key = secret_bytes(self.directory / KEY_NAME, KEY_BYTES, create=not self.path.exists())
        text = f"{kind}:{normalized(kind, value)}".encode()
        return hmac.new(key, text, hashlib.sha256).hexdigest()

    def record(self, subject: Subject, org_id: int | None, cut_off: int) -> None:
        erasure = Erasure(
            subject.kind.value, self.subject_hash(subject.kind, subject.value), org_id, cut_off
        )
        append_synced(self.path, (json.dumps(asdict(erasure), sort_keys=True) + "\n").encode())

    def entries(self, since: int = 0) -> list[Erasure]:
        """Erasures whose cut-off is at or after ``since``."""
        if not self.path.exists():
            return []
        found = []
        with self.path.open("rb") as handle:
            for raw in handle:
                with contextlib.suppress(ValueError, TypeError, KeyError):
                    erasure = Erasure(**json.loads(raw))
                    if erasure.cut_off >= since:
                        found.append(erasure)
        return found


def normalized(kind: str, value: str) -> str:
    if kind == SubjectKind.ADDRESS:
        address = parse_ip(value)
        return str(address) if address is not None else value.strip()
    return value.strip()
