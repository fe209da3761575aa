"""Precision and recall of each detector: the labels of the scenario against the flags raised."""

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from licmon.domain.detectors import FlagKind

SCORED = (
    FlagKind.SEAT_OVERUSE,
    FlagKind.MACHINE_SHARING,
    FlagKind.NETWORK_SPREAD,
    FlagKind.IMPOSSIBLE_TRAVEL,
    FlagKind.TERRITORY,
    FlagKind.ANONYMIZER,
    FlagKind.KEY_GUESSING,
    FlagKind.DEAD_KEY,
    FlagKind.CLOCK_TAMPERING,
    FlagKind.REPLAYED_NONCE,
    FlagKind.CLONED_MACHINE,
)


@dataclass
class Score:
    detector: str
    positives: int
    flagged: int
    true_positives: int
    false_positives: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float | None:
        return self.true_positives / self.flagged if self.flagged else None

    @property
    def recall(self) -> float | None:
        return self.true_positives / self.positives if self.positives else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "detector": self.detector,
            "positives": self.positives,
            "flagged": self.flagged,
            "true_positives": self.true_positives,
            "precision": self.precision,
            "recall": self.recall,
            "false_positives": self.false_positives,
        }


def score(
    truth: dict[str, set[str]], raised: dict[str, set[str]], names: dict[str, str]
) -> list[Score]:
    """``truth`` and ``raised``: subjects (license ids, guessing networks) per detector;
    ``names`` says what each subject was, to explain false positives."""
    scores = []
    for kind in SCORED:
        positives, flagged = truth.get(kind, set()), raised.get(kind, set())
        wrong = sorted(names.get(subject, subject) for subject in flagged - positives)
        scores.append(
            Score(kind.value, len(positives), len(flagged), len(positives & flagged), wrong)
        )
    return scores


def subjects_by_kind(pairs: list[tuple[str, str]]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = defaultdict(set)
    for kind, subject in pairs:
        found[kind].add(subject)
    return found


def table(scores: list[Score]) -> list[str]:
    lines = [
        "| detector | positives | flagged | true positives | precision | recall |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for s in scores:
        lines.append(
            f"| {s.detector} | {s.positives} | {s.flagged} | {s.true_positives} "
            f"| {_ratio(s.precision)} | {_ratio(s.recall)} |"
        )
    return lines


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"
