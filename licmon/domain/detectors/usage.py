"""Detectors of how much a license is used: seat overuse, machine sharing, dead keys."""

from collections import deque
from dataclasses import dataclass, field

from licmon.domain.detectors.bounded import LruMap, RecentKeys
from licmon.domain.detectors.events import CheckinEvent, FlagDraft, FlagKind, Severity
from licmon.domain.detectors.thresholds import Thresholds
from licmon.domain.models import DenyReason


class SeatOveruse:
    """Refusals for ``seats_exhausted`` in a window, counted per machine: a machine that
    retries is one refusal, so only several machines wanting a seat at once raise it."""

    kind = FlagKind.SEAT_OVERUSE

    def __init__(self, t: Thresholds) -> None:
        self.t = t
        self._refused: LruMap[int, RecentKeys[str]] = LruMap(t.detector_licenses)

    def observe(self, event: CheckinEvent, now: int) -> FlagDraft | None:
        if event.reason is not DenyReason.SEATS_EXHAUSTED or event.license_id is None:
            return None
        cap = self.t.seat_overuse_refusals * 4
        machines = self._refused.setdefault(event.license_id, lambda: RecentKeys(cap))
        machines.touch(event.machine, now)
        machines.drop_expired(now - self.t.seat_overuse_window_seconds)
        if len(machines) < self.t.seat_overuse_refusals:
            return None
        evidence = {
            "refused_machines": len(machines),
            "seats": event.seats,
            "window_seconds": self.t.seat_overuse_window_seconds,
        }
        return FlagDraft(self.kind, Severity.MEDIUM, event.license_id, now, evidence)


class MachineSharing:
    """More distinct machine fingerprints in a window than the license's ``max_machines``.
    Fingerprints, not addresses, are counted: a laptop that moves or a reinstall on the same
    hardware is one machine."""

    kind = FlagKind.MACHINE_SHARING

    def __init__(self, t: Thresholds) -> None:
        self.t = t
        self._machines: LruMap[int, RecentKeys[str]] = LruMap(t.detector_licenses)

    def observe(self, event: CheckinEvent, now: int) -> FlagDraft | None:
        if not event.usable or event.license_id is None:
            return None
        cap = min(event.max_machines + 1, self.t.detector_machines_per_license)
        machines = self._machines.setdefault(event.license_id, lambda: RecentKeys(cap))
        machines.cap = cap
        machines.touch(event.machine, now)
        machines.drop_expired(now - self.t.machine_sharing_window_seconds)
        if len(machines) <= event.max_machines:
            return None
        evidence = {
            "machines_seen": len(machines),
            "max_machines": event.max_machines,
            "window_seconds": self.t.machine_sharing_window_seconds,
        }
        return FlagDraft(self.kind, Severity.HIGH, event.license_id, now, evidence)


DEAD_SEVERITY = {
    DenyReason.REVOKED: Severity.HIGH,
    DenyReason.SUSPENDED: Severity.MEDIUM,
    DenyReason.EXPIRED: Severity.LOW,
}


@dataclass(slots=True)
class _Attempts:
    times: deque[int]
    last_by_machine: RecentKeys[str] = field(default_factory=lambda: RecentKeys(64))


class DeadKey:
    """A revoked, suspended or expired key that keeps checking in. One machine's attempts
    within ``dead_key_retry_seconds`` count once (a program retrying is one attempt)."""

    kind = FlagKind.DEAD_KEY

    def __init__(self, t: Thresholds) -> None:
        self.t = t
        self._attempts: LruMap[int, _Attempts] = LruMap(t.detector_licenses)

    def observe(self, event: CheckinEvent, now: int) -> FlagDraft | None:
        if event.reason not in DEAD_SEVERITY or event.license_id is None:
            return None
        needed = self.t.dead_key_attempts
        state = self._attempts.setdefault(event.license_id, lambda: _Attempts(deque(maxlen=needed)))
        last = state.last_by_machine.last_seen(event.machine)
        if last is not None and now - last < self.t.dead_key_retry_seconds:
            return None
        state.last_by_machine.touch(event.machine, now)
        state.last_by_machine.drop_expired(now - self.t.dead_key_retry_seconds)
        state.times.append(now)
        if len(state.times) < needed or now - state.times[0] > self.t.dead_key_window_seconds:
            return None
        assert event.reason is not None
        evidence = {"reason": event.reason.value, "attempts": len(state.times)}
        return FlagDraft(self.kind, DEAD_SEVERITY[event.reason], event.license_id, now, evidence)


class Overage:
    """A seat granted beyond the license's seats, within the overage its policy allows:
    allowed, and told (the refire guard keeps it to one flag per period)."""

    kind = FlagKind.OVERAGE

    def observe(self, event: CheckinEvent, now: int) -> FlagDraft | None:
        if not event.overage or event.license_id is None:
            return None
        evidence = {"seats": event.seats, "source": "overage granted"}
        return FlagDraft(self.kind, Severity.LOW, event.license_id, now, evidence)
