"""Abuse detectors: small classes behind one protocol, pure, with bounded memory.

Each detector sees every check-in as a ``CheckinEvent`` and may draft a flag. None does I/O
or reads a clock: ``now`` is an argument. ``DetectorSet`` runs them all.
"""

from licmon.domain.detectors.engine import DetectorSet
from licmon.domain.detectors.events import (
    CheckinEvent,
    Detector,
    FlagDraft,
    FlagKind,
    Severity,
)
from licmon.domain.detectors.thresholds import Thresholds

__all__ = [
    "CheckinEvent",
    "Detector",
    "DetectorSet",
    "FlagDraft",
    "FlagKind",
    "Severity",
    "Thresholds",
]
