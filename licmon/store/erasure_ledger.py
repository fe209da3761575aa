"""The erasure ledger: what was erased on request, kept beside the database, outside it.

One line per erasure: the subject's kind, a keyed hash of the subject (never an address,
a fingerprint or a name), the organization the request was scoped to, the cut-off (when
it was erased) and which key made the hash. ``licmon restore`` re-applies every erasure newer
than the backup, so an erased subject never comes back from an older copy. Lines are
appended under a lock and synced before the erasure commits: an erasure is never in the
database without its line.

The key: one node (SQLite) hashes with ``erasure-ledger.key``, its own. Several nodes
(PostgreSQL) hash with a key derived from the pepper, which every node of a database holds
(it is checked at start), so a line one node wrote means the same on every other: the nodes
copy each other's lines (``merge``), and any node re-applies every node's erasures.
"""

import contextlib
import hashlib
import hmac
import json
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from licmon.datadir import PEPPER_BYTES, DataDir
from licmon.domain.network import parse_ip
from licmon.domain.subjects import Subject, SubjectKind
from licmon.secretfile import append_synced, secret_bytes

LEDGER_NAME = "erasure-ledger.jsonl"
KEY_NAME = "erasure-ledger.key"
KEY_BYTES = 32
LOCAL = "local"  # hashed with erasure-ledger.key
SHARED = "shared"  # hashed with the key every node derives from the pepper
SHARED_INFO = b"licmon erasure ledger v1"  # HKDF info: this key and no other
FIELDS = ("kind", "subject", "org_id", "cut_off", "key")


@dataclass(frozen=True, slots=True)
class Erasure:
    kind: str
    subject: str  # HMAC-SHA256(ledger key, "kind:value"), hex
    org_id: int | None
    cut_off: int
    key: str = LOCAL  # which key made ``subject``: LOCAL (lines from before it was said) or SHARED


@dataclass(frozen=True)
class ErasureLedger:
    directory: Path
    shared: bool = False  # several nodes: new lines are hashed with the SHARED key

    @classmethod
    def beside(cls, database: Path) -> "ErasureLedger":
        return cls(database.parent)

    @property
    def path(self) -> Path:
        return self.directory / LEDGER_NAME

    def subject_hash(self, kind: str, value: str, key: str = LOCAL) -> str:
        return _hash(self._key(key), kind, value)

    def _key(self, key: str) -> bytes:
        if key == SHARED:
            pepper_path = DataDir(self.directory).pepper_path
            pepper = secret_bytes(pepper_path, PEPPER_BYTES, create=False)
            return HKDF(hashes.SHA256(), 32, salt=None, info=SHARED_INFO).derive(pepper)
        # made on first use, never in place of a lost key: the ledger's hashes need it
        return secret_bytes(self.directory / KEY_NAME, KEY_BYTES, create=not self.path.exists())

    def record(self, subject: Subject, org_id: int | None, cut_off: int) -> Erasure:
        key = SHARED if self.shared else LOCAL
        hashed = self.subject_hash(subject.kind, subject.value, key)
        erasure = Erasure(subject.kind.value, hashed, org_id, cut_off, key)
        self._append(erasure)
        return erasure

    def merge(self, erasures: Iterable[Erasure]) -> int:
        """Append the lines this ledger lacks (other nodes' erasures); how many."""
        known = set(self.entries())
        added = 0
        for erasure in erasures:
            if erasure not in known:
                self._append(erasure)
                known.add(erasure)
                added += 1
        return added

    def matches(
        self, kind: SubjectKind, candidates: Iterable[str], erasures: Iterable[Erasure]
    ) -> list[tuple[Erasure, str]]:
        """The erasures of ``kind`` whose subject is among ``candidates``, with its value."""
        wanted = [e for e in erasures if e.kind == kind]
        values = list(candidates)
        found = []
        for key in {e.key for e in wanted}:
            secret = self._key(key)
            known = {_hash(secret, kind, value): value for value in values}
            found += [(e, known[e.subject]) for e in wanted if e.key == key and e.subject in known]
        return found

    def _append(self, erasure: Erasure) -> None:
        line = asdict(erasure)
        if erasure.key == LOCAL:  # a local line as written before the key was named
            del line["key"]
        append_synced(self.path, (json.dumps(line, sort_keys=True) + "\n").encode())

    def entries(self, since: int = 0) -> list[Erasure]:
        """Erasures whose cut-off is at or after ``since``, each once (an erasure whose
        transaction was run again wrote its line again)."""
        if not self.path.exists():
            return []
        found = []
        with self.path.open("rb") as handle:
            for raw in handle:
                with contextlib.suppress(ValueError, TypeError, KeyError, AttributeError):
                    line = json.loads(raw)  # fields a later version adds are left aside
                    erasure = Erasure(**{k: line[k] for k in FIELDS if k in line})
                    if erasure.cut_off >= since:
                        found.append(erasure)
        return list(dict.fromkeys(found))


def reapply(
    ledger: ErasureLedger,
    erasures: list[Erasure],
    candidates: Callable[[SubjectKind], Iterable[str]],
    erase: Callable[[Subject, int | None], None],
) -> int:
    """Erase again (``erase``, a backend's erasure path) every subject of ``erasures`` still
    among the database's ``candidates`` of its kind; how many matched."""
    done = 0
    for kind in sorted({SubjectKind(e.kind) for e in erasures}):
        for erasure, value in ledger.matches(kind, candidates(kind), erasures):
            erase(Subject(kind, value), erasure.org_id)
            done += 1
    return done


def _hash(secret: bytes, kind: str, value: str) -> str:
    text = f"{kind}:{normalized(kind, value)}".encode()
    return hmac.new(secret, text, hashlib.sha256).hexdigest()


def normalized(kind: str, value: str) -> str:
    if kind == SubjectKind.ADDRESS:
        address = parse_ip(value)
        return str(address) if address is not None else value.strip()
    return value.strip()
