"""Detectors of the request itself: a tampered clock, a replayed nonce."""

from licmon.domain.detectors.bounded import LruMap
from licmon.domain.detectors.events import CheckinEvent, FlagDraft, FlagKind, Severity
from licmon.domain.detectors.learned import CLOCK, Learned
from licmon.domain.detectors.netkeys import network_text
from licmon.domain.detectors.nonces import NonceMemory, Seen, machine_fingerprint
from licmon.domain.detectors.thresholds import Thresholds


class ClockTampering:
    """``client_time`` further from server time than ``clock_tolerance_seconds`` (a wide
    absolute bound), or a machine's clock jumping ``clock_jump_seconds`` further from server
    time than its learned usual offset (after ``clock_learn_samples`` check-ins). A clock
    constantly off (a time zone set wrong) is learned; a clock put right is no jump."""

    kind = FlagKind.CLOCK_TAMPERING

    def __init__(self, t: Thresholds) -> None:
        self.t = t
        # (license, machine) -> (usual skew, samples, when last updated)
        self._usual: LruMap[tuple[int, str], tuple[float, int, int]] = LruMap(t.detector_licenses)

    def observe(self, event: CheckinEvent, now: int) -> FlagDraft | None:
        if event.client_time is None or event.license_id is None:
            return None
        skew = event.client_time - now
        key = (event.license_id, event.machine)
        usual, samples, at = self._usual.get(key) or (float(skew), 0, now)
        learned = usual + (skew - usual) / min(samples + 1, 8)
        if _worth_saving(samples, usual, learned, now - at, self.t.clock_learn_samples):
            at = now  # saved again at the next save (else the stored copy is as good)
        self._usual.put(key, (learned, samples + 1, at))
        if abs(skew) > self.t.clock_tolerance_seconds:
            return self._draft(event, now, skew, None)
        jumped = abs(skew - usual) > self.t.clock_jump_seconds and abs(skew) > abs(usual)
        if samples >= self.t.clock_learn_samples and jumped:
            return self._draft(event, now, skew, usual)
        return None

    def learned(self, since: int) -> list[Learned]:
        """The usual offsets updated since ``since``."""
        return [
            Learned(CLOCK, license_id, machine, [round(usual, 1), samples], at)
            for (license_id, machine), (usual, samples, at) in self._usual.items()
            if at >= since
        ]

    def learn(self, fact: Learned) -> None:
        if isinstance(fact.value, list | tuple) and len(fact.value) == 2:
            usual, samples = float(fact.value[0]), int(fact.value[1])
            self._usual.put((fact.license_id, fact.subject), (usual, samples, fact.at))

    def _draft(self, event: CheckinEvent, now: int, skew: int, usual: float | None) -> FlagDraft:
        evidence: dict[str, object] = {
            "skew_seconds": skew,
            "tolerance_seconds": self.t.clock_tolerance_seconds,
        }
        if usual is not None:
            evidence["usual_skew_seconds"] = round(usual)
            evidence["jump_seconds"] = round(skew - usual)
        return FlagDraft(self.kind, Severity.MEDIUM, event.license_id, now, evidence)


RESAVE_SECONDS = 3600  # a steady offset is saved again (kept alive) once an hour
RESAVE_CHANGE_SECONDS = 60


def _worth_saving(samples: int, before: float, after: float, age: int, learning: int) -> bool:
    return (
        samples <= learning
        or abs(after - before) >= RESAVE_CHANGE_SECONDS
        or (age >= RESAVE_SECONDS)
    )


class ReplayedNonce:
    """A nonce seen before for the same license. The same machine sending it again within
    ``nonce_retry_seconds``, from whatever network, is a retry after a time-out (a client
    that resends over another connection), not a replay; another machine presenting it is.

    Memory: at most ``nonce_memory`` nonces, for at most ``nonce_window_seconds``.
    """

    kind = FlagKind.REPLAYED_NONCE

    def __init__(self, t: Thresholds) -> None:
        self.t = t
        self._seen = NonceMemory(t.nonce_memory)

    def observe(self, event: CheckinEvent, now: int) -> FlagDraft | None:
        if event.nonce is None or event.license_id is None:
            return None
        key = (event.license_id, event.nonce)
        first = self._seen.get(key)
        if first is None:
            self._seen.expire(now - self.t.nonce_window_seconds)
            self._seen.put(key, now, event.machine, event.network)
            return None
        if self._is_retry(first, event, now):
            return None
        at, machine, network = first
        evidence = {
            "first_seen": at,
            "first_network": network_text(network),
            "network": network_text(event.network),
            "same_machine": machine == machine_fingerprint(event.machine),
            "seconds_later": now - at,
        }
        return FlagDraft(self.kind, Severity.HIGH, event.license_id, now, evidence)

    def _is_retry(self, first: Seen, event: CheckinEvent, now: int) -> bool:
        at, machine, _network = first
        return (
            machine == machine_fingerprint(event.machine) and now - at <= self.t.nonce_retry_seconds
        )
