"""Key guessing: unknown keys counted per address, network, ASN and overall, whatever the
machine (the client chooses it); throttled (429), then flagged.

An address past its budget of unknown keys in the window (``guess_host_threshold``; on a
shared address, private or carrier-grade NAT, ``guess_shared_host_threshold``) is throttled
for a time that doubles with each strike up to ``guess_retry_max_seconds``. A network
(``guess_network_threshold``) or an ASN (``guess_asn_threshold``) past its own budget
throttles its addresses that failed too. A key that fails its check character (which the
client library checks before it sends) counts ``guess_malformed_weight`` times. Unknown keys
from many networks at once (``guess_campaign_threshold`` keys from at least
``guess_campaign_networks`` networks) are a distributed campaign: a ``guessing_campaign``
flag, and while it lasts every address's budget shrinks to ``guess_campaign_host_threshold``.
A flag is raised when guessing persists (``guess_flag_strikes``). Genuine licenses keep
working: addresses that did not fail pass, and a machine granted a lease from the network
passes even from a throttled address (one unknown key from it withdraws that).
"""

from dataclasses import dataclass

from licmon.domain.detectors.bounded import LruMap, RecentKeys
from licmon.domain.detectors.events import CheckinEvent, FlagDraft, FlagKind, Severity
from licmon.domain.detectors.netkeys import network_text
from licmon.domain.detectors.thresholds import Thresholds
from licmon.domain.models import Outcome

VOUCHED_PER_NETWORK = 64
CAMPAIGN_NETWORKS_KEPT = 4096


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
        self._asns: LruMap[int, _Failures] = LruMap(t.detector_licenses)
        self._vouched: LruMap[int, RecentKeys[str]] = LruMap(t.detector_licenses)
        self._overall = _Failures()
        self._campaign_networks: RecentKeys[int] = RecentKeys(CAMPAIGN_NETWORKS_KEPT)
        self.campaign_until = 0
        self._asn_block_until = 0

    def asn_blocking(self, now: int) -> bool:
        """Some ASN is throttled: the caller's ASN is worth looking up before the key."""
        return self._asn_block_until > now

    def retry_after(
        self, host: int, network: int, machine: str, now: int, asn: int | None = None
    ) -> int | None:
        """Seconds the caller must wait before its key is even looked at; None: go on."""
        h = self._hosts.get(host)
        if h is None:
            return None
        groups = [self._networks.get(network), self._asns.get(asn) if asn is not None else None]
        blocked = [g.blocked_until for g in groups if g is not None and g.blocked_until > now]
        if h.blocked_until <= now and not blocked:
            return None
        vouched = self._vouched.get(network)
        if vouched is not None and machine in vouched:
            return None
        if h.blocked_until > now:
            self.count_refused(host)  # not looked at, but a guess all the same
            return h.blocked_until - now
        if blocked and h.recent(now, self.t.guess_window_seconds) > 0:
            return max(blocked) - now
        return None

    def count_refused(self, host: int) -> None:
        """An attempt another node's throttle refused: a guess all the same, as here."""
        h = self._hosts.get(host)
        if h is not None:
            h.failures += 1

    def observe(self, event: CheckinEvent, now: int) -> FlagDraft | None:
        if event.outcome in (Outcome.GRANTED, Outcome.RENEWED):
            self._vouch(event, now)
            return None
        if event.outcome is not Outcome.INVALID_KEY:
            return None
        self._unvouch(event)
        weight = 1 if event.well_formed else self.t.guess_malformed_weight
        campaign = self._campaign(event, now, weight)
        levels = [
            ("address", self._hosts, event.host, self._host_budget(event, now)),
            ("network", self._networks, event.network, self.t.guess_network_threshold),
        ]
        if event.asn is not None:
            levels.append(("asn", self._asns, event.asn, self.t.guess_asn_threshold))
        drafts = []
        for level, counters, key, budget in levels:
            counter = counters.setdefault(key, _Failures)
            if not self._fail(counter, now, budget, weight):
                continue
            if level == "asn":
                self._asn_block_until = max(self._asn_block_until, counter.blocked_until)
            if counter.strikes >= self.t.guess_flag_strikes:
                drafts.append(self._draft(event, counter, level, now))
        return campaign or (drafts[0] if drafts else None)

    def _host_budget(self, event: CheckinEvent, now: int) -> int:
        t = self.t
        budget = t.guess_host_threshold if event.routable else t.guess_shared_host_threshold
        if now < self.campaign_until:
            budget = min(budget, t.guess_campaign_host_threshold)
        return budget

    def _campaign(self, event: CheckinEvent, now: int, weight: int) -> FlagDraft | None:
        """Count the key overall; a draft when a campaign over many networks starts."""
        t = self.t
        window = t.guess_window_seconds
        self._campaign_networks.touch(event.network, now)
        self._campaign_networks.drop_expired(now - window)
        overall = self._overall
        if now - overall.window_start >= window:
            overall.window_start, overall.failures = now, 0
        overall.failures += weight
        spread = len(self._campaign_networks)
        if overall.failures < t.guess_campaign_threshold or spread < t.guess_campaign_networks:
            return None
        fresh = now >= self.campaign_until
        self.campaign_until = now + t.guess_retry_max_seconds
        if not fresh:
            return None
        evidence = {
            "level": "global",
            "unknown_keys": overall.failures,
            "networks": spread,
            "window_seconds": window,
            "host_budget": t.guess_campaign_host_threshold,
        }
        return FlagDraft(
            FlagKind.GUESSING_CAMPAIGN, Severity.HIGH, None, now, evidence, scope="global"
        )

    def _fail(self, c: _Failures, now: int, threshold: int, weight: int = 1) -> bool:
        """Count one unknown key; True when it makes a new strike (and a longer block)."""
        t = self.t
        if now - c.last_failure > 2 * t.guess_retry_max_seconds:
            c.strikes = 0
        if now - c.window_start >= t.guess_window_seconds:
            c.window_start, c.failures = now, 0
        c.failures += weight
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
        scope = f"AS{event.asn}" if level == "asn" else network
        if level == "asn":
            evidence["asn"] = event.asn
        return FlagDraft(self.kind, Severity.MEDIUM, None, now, evidence, scope=scope)
