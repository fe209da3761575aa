"""Cloned machines without any client change: one fingerprint renewing from two places
interleaved (A, B, A, B) within one lease period. One program renews one lease at a time;
two copies of one installation renew the same seat each from its own network.

A place is an ASN (a network when no ASN is known), so a carrier's address pool is one
place; private, carrier-grade NAT, anonymizer exits and the organization's declared places
are left out. A request resent with its nonce (a retry over another network) is not a
renewal. The same kind, ``cloned_machine``, is raised from a forked lease chain.
"""

from collections import deque
from itertools import pairwise

from licmon.domain.detectors.bounded import LruMap
from licmon.domain.detectors.events import CheckinEvent, FlagDraft, FlagKind, Severity
from licmon.domain.detectors.netkeys import network_text
from licmon.domain.detectors.thresholds import Thresholds
from licmon.domain.models import DenyReason

POINTS_KEPT = 8
# (at, place, network, nonce)
_Point = tuple[int, int, int, str | None]


class ClonedMachine:
    kind = FlagKind.CLONED_MACHINE

    def __init__(self, t: Thresholds) -> None:
        self.t = t
        self._points: LruMap[tuple[int, str], deque[_Point]] = LruMap(t.detector_licenses)

    def observe(self, event: CheckinEvent, now: int) -> FlagDraft | None:
        if event.chain_forked and event.license_id is not None:
            return self._forked(event, now)
        if event.license_id is None or not event.usable or not event.routable:
            return None
        if event.anonymizer is not None or event.known_place is not None:
            return None
        key = (event.license_id, event.machine)
        points = self._points.setdefault(key, lambda: deque(maxlen=POINTS_KEPT))
        if event.nonce is not None and any(p[3] == event.nonce for p in points):
            return None  # a retry
        place = event.asn if event.asn is not None else -1 - event.network
        points.append((now, place, event.network, event.nonce))
        window = min(event.lease_seconds, self.t.clone_max_window_seconds)
        while points and points[0][0] < now - window:
            points.popleft()
        return self._judge(points, place, event, now, window)

    def _forked(self, event: CheckinEvent, now: int) -> FlagDraft:
        """Two copies of one installation continued one lease chain (the store saw it)."""
        evidence = {
            "source": "forked lease chain",
            "refused": event.reason is DenyReason.CLONED_MACHINE,
        }
        return FlagDraft(self.kind, Severity.HIGH, event.license_id, now, evidence)

    def _judge(
        self, points: deque[_Point], place: int, event: CheckinEvent, now: int, window: int
    ) -> FlagDraft | None:
        for other in {p[1] for p in points} - {place}:
            pair = [p for p in points if p[1] in (place, other)]
            switches = sum(a[1] != b[1] for a, b in pairwise(pair))
            if switches >= self.t.clone_min_switches:
                networks = sorted({network_text(p[2]) for p in pair})
                evidence = {
                    "networks": networks,
                    "switches": switches,
                    "renewals": len(pair),
                    "lease_seconds": window,
                    "source": "interleaved renewals",
                }
                return FlagDraft(self.kind, Severity.HIGH, event.license_id, now, evidence)
        return None
