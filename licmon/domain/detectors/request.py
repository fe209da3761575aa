"""Detectors of the request itself: a tampered clock, a replayed nonce."""

from licmon.domain.detectors.events import CheckinEvent, FlagDraft, FlagKind, Severity
from licmon.domain.detectors.netkeys import network_text
from licmon.domain.detectors.nonces import NonceMemory, Seen, machine_fingerprint
from licmon.domain.detectors.thresholds import Thresholds


class ClockTampering:
    """``client_time`` further from the server's time than ``clock_tolerance_seconds``
    (the default, a day, absorbs time zones set wrong, drift and retried requests)."""

    kind = FlagKind.CLOCK_TAMPERING

    def __init__(self, t: Thresholds) -> None:
        self.t = t

    def observe(self, event: CheckinEvent, now: int) -> FlagDraft | None:
        if event.client_time is None or event.license_id is None:
            return None
        skew = event.client_time - now
        if abs(skew) <= self.t.clock_tolerance_seconds:
            return None
        evidence = {"skew_seconds": skew, "tolerance_seconds": self.t.clock_tolerance_seconds}
        return FlagDraft(self.kind, Severity.MEDIUM, event.license_id, now, evidence)


class ReplayedNonce:
    """A nonce seen before for the same license. The same machine sending it again from the
    same network within ``nonce_retry_seconds`` is a retry after a time-out, not a replay.

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
        at, machine, network = first
        return (
            machine == machine_fingerprint(event.machine)
            and network == event.network
            and now - at <= self.t.nonce_retry_seconds
        )
