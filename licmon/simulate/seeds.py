"""Precision and recall over several seeds, each a fresh world and scenario, with a Wilson
95 % interval on the pooled counts."""

import math
from dataclasses import dataclass

from licmon.simulate.measure import Score

Z95 = 1.96


@dataclass
class Pooled:
    detector: str
    positives: int = 0
    flagged: int = 0
    true_positives: int = 0

    def add(self, s: Score) -> None:
        self.positives += s.positives
        self.flagged += s.flagged
        self.true_positives += s.true_positives

    def as_dict(self) -> dict[str, object]:
        return {
            "detector": self.detector,
            "positives": self.positives,
            "flagged": self.flagged,
            "true_positives": self.true_positives,
            "precision": wilson(self.true_positives, self.flagged),
            "recall": wilson(self.true_positives, self.positives),
        }


def wilson(successes: int, trials: int) -> dict[str, float] | None:
    """The proportion with its Wilson score interval (95 %); None without trials."""
    if trials == 0:
        return None
    p = successes / trials
    denominator = 1 + Z95**2 / trials
    centre = (p + Z95**2 / (2 * trials)) / denominator
    half = Z95 * math.sqrt(p * (1 - p) / trials + Z95**2 / (4 * trials**2)) / denominator
    return {"value": round(p, 3), "low": round(centre - half, 3), "high": round(centre + half, 3)}


def pool(runs: list[list[Score]]) -> list[Pooled]:
    pooled: dict[str, Pooled] = {}
    for scores in runs:
        for s in scores:
            pooled.setdefault(s.detector, Pooled(s.detector)).add(s)
    return list(pooled.values())


def table(pooled: list[Pooled]) -> list[str]:
    lines = [
        "| detector | positives | flagged | precision (95 % CI) | recall (95 % CI) |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for p in pooled:
        d = p.as_dict()
        lines.append(
            f"| {p.detector} | {p.positives} | {p.flagged} "
            f"| {_shown(d['precision'])} | {_shown(d['recall'])} |"
        )
    return lines


def _shown(value: object) -> str:
    if not isinstance(value, dict):
        return "-"
    return f"{value['value']:.2f} ({value['low']:.2f}-{value['high']:.2f})"
