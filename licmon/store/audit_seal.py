"""Signed audit checkpoints in a file beside the database, with a signing key of their own.

Each line is one checkpoint, ``{"count", "head", "at", "kind", "sig"}``, the signature an
Ed25519 signature over the other fields. Lines are appended with O_APPEND under a lock and
synced, so a server and a command line can both append. Whoever edits the database alone
cannot make the file agree with a shortened or re-chained log.
"""

import base64
import binascii
import contextlib
import json
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from licmon.domain.checkpoints import SEAL, Checkpoint
from licmon.secretfile import append_synced, secret_bytes

CHECKPOINTS_NAME = "audit-checkpoints.jsonl"
KEY_NAME = "audit-seal.key"
KEY_BYTES = 32
TAIL_BYTES = 8192


@dataclass(frozen=True)
class AuditSeal:
    directory: Path

    @classmethod
    def beside(cls, database: Path) -> "AuditSeal":
        return cls(database.parent)

    @property
    def path(self) -> Path:
        return self.directory / CHECKPOINTS_NAME

    @property
    def key_path(self) -> Path:
        return self.directory / KEY_NAME

    def key(self) -> Ed25519PrivateKey:
        """The signing key; made on first use, never in place of a lost one (checkpoints
        signed by it would all turn into forgeries)."""
        raw = secret_bytes(self.key_path, KEY_BYTES, create=not self.path.exists())
        return Ed25519PrivateKey.from_private_bytes(raw)

    def append(self, checkpoint: Checkpoint) -> None:
        signature = self.key().sign(checkpoint.body())
        line = json.loads(checkpoint.body())
        line["sig"] = base64.b64encode(signature).decode("ascii")
        append_synced(self.path, (json.dumps(line, sort_keys=True) + "\n").encode())

    def seal(self, count: int, head: str, at: int, kind: str = SEAL) -> bool:
        """Append a checkpoint unless the last one already says the same; True if written."""
        last = self.last()
        if kind == SEAL and last is not None and (last.count, last.head) == (count, head):
            return False
        self.append(Checkpoint(count, head, at, kind))
        return True

    def read(self) -> tuple[list[Checkpoint], int]:
        """Every well-signed checkpoint in file order, and how many lines were not."""
        if not self.path.exists():
            return [], 0
        public = self.key().public_key()
        good: list[Checkpoint] = []
        bad = 0
        with self.path.open("rb") as handle:
            for raw in handle:
                checkpoint = _parse(raw)
                if checkpoint is None or not _signed(public, checkpoint, raw):
                    bad += 1
                else:
                    good.append(checkpoint)
        return good, bad

    def last(self) -> Checkpoint | None:
        if not self.path.exists():
            return None
        with self.path.open("rb") as handle:
            handle.seek(max(0, self.path.stat().st_size - TAIL_BYTES))
            lines = handle.read().splitlines()
        return _parse(lines[-1]) if lines else None


def _parse(raw: bytes) -> Checkpoint | None:
    with contextlib.suppress(ValueError, KeyError, TypeError):
        line = json.loads(raw)
        return Checkpoint(int(line["count"]), str(line["head"]), int(line["at"]), str(line["kind"]))
    return None


def _signed(public: Ed25519PublicKey, checkpoint: Checkpoint, raw: bytes) -> bool:
    try:
        signature = base64.b64decode(json.loads(raw)["sig"], validate=True)
        public.verify(signature, checkpoint.body())
    except (InvalidSignature, KeyError, ValueError, TypeError, binascii.Error):
        return False
    return True
