"""Key guessing: unknown keys counted per address and per network, throttled, then flagged.

An address past ``guess_host_threshold`` unknown keys in a window is throttled (429) for a
time that doubles with each strike up to ``guess_retry_max_seconds``; a network past
``guess_network_threshold`` throttles its addresses that failed too. A flag is raised when
it persists (``guess_flag_strikes``). Genuine licenses keep working: addresses of the
network that did not fail pass, and a machine that was granted a lease from the network
passes even from a throttled address (one unknown key from it withdraws that).
"""

from dataclasses import dataclass

from licmon.domain.detectors.bounded import LruMap, RecentKeys
from licmon.domain.detectors.events import CheckinEvent, FlagDraft, FlagKind, Severity
from licmon.domain.detectors.netkeys import network_text
from licmon.domain.detectors.thresholds import Thresholds
from licmon.domain.models import Outcome

VOUCHED_PER_NETWORK = 64


@dataclass(slots=True)
class _Failures:
    window_start: int = 0
    failures: int = 0
    strikes: int = 0
    blocked_until: int = 0
    last_failure: int = 0

    def recent(self, now: int, window: int) -> int:
        return self.failures if now - self.window_start < window else 0


class KeyGuessing:
    kind = FlagKind.KEY_GUESSING

    def __init__(self, t: Thresholds) -> None:
        self.t = t
        self._hosts: LruMap[int, _Failures] = LruMap(t.detector_licenses)
        self._networks: LruMap[int, _Failures] = LruMap(t.detector_licenses)
        self._vouched: LruMap[int, RecentKeys[str]] = LruMap(t.detector_licenses)

    def retry_after(self, host: int, network: int, machine: str, now: int) -> int | None:
        """Seconds the caller must wait before its key is even looked at; None: go on."""
        h, n = self._hosts.get(host), self._networks.get(network)
        if h is None or (h.blocked_until <= now and (n is None or n.blocked_until <= now)):
            return None
        vouched = self._vouched.get(network)
        if vouched is not None and machine in vouched:
            return None
        if h.blocked_until > now:
            h.failures += 1  # not looked at, but a guess all the same
            return h.blocked_until - now
        if n is not None and h.recent(now, self.t.guess_window_seconds) > 0:
            return n.blocked_until - now
        return None

    def observe(self, event: CheckinEvent, now: int) -> FlagDraft | None:
        if event.outcome in (Outcome.GRANTED, Outcome.RENEWED):
            self._vouch(event, now)
            return None
        if event.outcome is not Outcome.INVALID_KEY:
            return None
        self._unvouch(event)
        host = self._hosts.setdefault(event.host, _Failures)
        network = self._networks.setdefault(event.network, _Failures)
        host_struck = self._fail(host, now, self.t.guess_host_threshold)
        network_struck = self._fail(network, now, self.t.guess_network_threshold)
        if host_struck and host.strikes >= self.t.guess_flag_strikes:
            return self._draft(event, host, "address", now)
        if network_struck and network.strikes >= self.t.guess_flag_strikes:
            return self._draft(event, network, "network", now)
        return None

    def _fail(self, c: _Failures, now: int, threshold: int) -> bool:
        """Count one unknown key; True when it makes a new strike (and a longer block)."""
        t = self.t
        if now - c.last_failure > 2 * t.guess_retry_max_seconds:
            c.strikes = 0
        if now - c.window_start >= t.guess_window_seconds:
            c.window_start, c.failures = now, 0
        c.failures += 1
        c.last_failure = now
        if c.failures < threshold:
            return False
        c.strikes += 1
        c.window_start, c.failures = now, 0
        c.blocked_until = now + min(
            t.guess_retry_base_seconds * 2 ** (c.strikes - 1), t.guess_retry_max_seconds
        )
        return True

    def _vouch(self, event: CheckinEvent, now: int) -> None:
        machines = self._vouched.setdefault(event.network, lambda: RecentKeys(VOUCHED_PER_NETWORK))
        if machines.touch(event.machine, now):
            machines.drop_expired(now - self.t.guess_retry_max_seconds * 24)

    def _unvouch(self, event: CheckinEvent) -> None:
        machines = self._vouched.get(event.network)
        if machines is not None and event.machine in machines:
            self._vouched.pop(event.network)

    def _draft(self, event: CheckinEvent, c: _Failures, level: str, now: int) -> FlagDraft:
        network = network_text(event.network)
        evidence = {
            "network": network,
            "level": level,
            "strikes": c.strikes,
            "blocked_seconds": c.blocked_until - now,
        }
        return FlagDraft(self.kind, Severity.MEDIUM, None, now, evidence, scope=network)
