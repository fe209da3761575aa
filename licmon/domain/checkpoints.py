"""Signed audit checkpoints and what they prove about the chain they were taken from.

A checkpoint states "the audit log held ``count`` entries, the last one hashed ``head``".
A ``restore`` checkpoint states the same for a restored log and supersedes every earlier
checkpoint that counted more entries: that tail was lost by the restore, knowingly, and
the gap is reported instead of hidden.
"""

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

SEAL = "seal"
RESTORE = "restore"


@dataclass(frozen=True, slots=True)
class Checkpoint:
    count: int
    head: str
    at: int
    kind: str = SEAL

    def body(self) -> bytes:
        """The exact bytes the signature covers."""
        fields = {"count": self.count, "head": self.head, "at": self.at, "kind": self.kind}
        return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()


@dataclass(slots=True)
class SealReport:
    checked: int = 0
    problems: list[str] = field(default_factory=list)  # everything wrong, as sentences
    rewritten: list[str] = field(default_factory=list)  # entries that differ from a seal
    sealed_count: int = 0  # the most entries a binding checkpoint counted
    gaps: list[str] = field(default_factory=list)


def positions_needed(checkpoints: list[Checkpoint]) -> set[int]:
    return {c.count for c in checkpoints if c.count > 0}


def live(checkpoints: list[Checkpoint]) -> tuple[list[Checkpoint], list[str]]:
    """The checkpoints still binding, and the gaps later restores recorded over the rest."""
    binding: list[Checkpoint] = []
    lost: dict[Checkpoint, int] = {}  # restore -> the most entries a seal it superseded counted
    cut: Checkpoint | None = None  # the restore after this point that kept the fewest entries
    for checkpoint in reversed(checkpoints):
        if cut is not None and cut.count < checkpoint.count:
            lost[cut] = max(lost.get(cut, 0), checkpoint.count)
        else:
            binding.append(checkpoint)
        if checkpoint.kind == RESTORE and (cut is None or checkpoint.count < cut.count):
            cut = checkpoint
    gaps = [
        f"entries {r.count + 1}-{top} were lost by the restore recorded at {_iso(r.at)} "
        f"(the log went back to {r.count} entries)"
        for r, top in sorted(lost.items(), key=lambda item: item[0].at)
    ]
    return binding[::-1], gaps


def check(
    checkpoints: list[Checkpoint], count: int, hashes: Mapping[int, str], bad_lines: int = 0
) -> SealReport:
    """Compare the chain (``count`` entries; ``hashes``: position -> hash) with its seals."""
    report = SealReport()
    if bad_lines:
        report.problems.append(f"{bad_lines} checkpoint line(s) are unsigned or badly signed")
    binding, report.gaps = live(checkpoints)
    for checkpoint in binding:
        report.checked += 1
        report.sealed_count = max(report.sealed_count, checkpoint.count)
        if checkpoint.count > count:
            report.problems.append(
                f"entries {count + 1}-{checkpoint.count} are missing: the checkpoint of "
                f"{_iso(checkpoint.at)} counted {checkpoint.count} (tail cut)"
            )
        elif checkpoint.count and hashes.get(checkpoint.count) != checkpoint.head:
            report.rewritten.append(
                f"entry {checkpoint.count} differs from the checkpoint of {_iso(checkpoint.at)}: "
                "the log was rewritten or re-chained"
            )
    report.problems = _merged(report.problems + report.rewritten)
    return report


def _merged(lines: list[str]) -> list[str]:
    return list(dict.fromkeys(lines))


def _iso(epoch: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))
