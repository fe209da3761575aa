"""Every detector behind one call, with the re-raise guard and the start-up replay."""

from collections.abc import Iterable

from licmon.domain.detectors.bounded import LruMap
from licmon.domain.detectors.clone import ClonedMachine
from licmon.domain.detectors.events import CheckinEvent, Detector, FlagDraft, FlagKind
from licmon.domain.detectors.guessing import KeyGuessing
from licmon.domain.detectors.learned import (
    CLOCK,
    FIRST_COUNTRY,
    TRAVEL_PAIR,
    Learned,
    Learner,
    PlaceNames,
)
from licmon.domain.detectors.place import Anonymizer, ImpossibleTravel, NetworkSpread, Territory
from licmon.domain.detectors.request import ClockTampering, ReplayedNonce
from licmon.domain.detectors.thresholds import Thresholds
from licmon.domain.detectors.usage import DeadKey, MachineSharing, Overage, SeatOveruse

RaisedKey = tuple[str, int | None, str]
# A replayed request is someone else's recording: its client_time and network say nothing of
# the machine's clock or of a copy of it (the replay is flagged as such).
REPLAY_BLIND = frozenset({FlagKind.CLOCK_TAMPERING, FlagKind.CLONED_MACHINE})


class DetectorSet:
    """Runs each detector on each check-in. While a pattern persists, its flag is drafted
    again at most every ``flag_refire_seconds`` (the store counts it), not on every
    check-in: flags stay rare writes."""

    def __init__(self, thresholds: Thresholds, place_key: bytes = b"") -> None:
        self.thresholds = thresholds
        self.guessing = KeyGuessing(thresholds)
        self._by_license: LruMap[int, dict[str, int]] = LruMap(thresholds.detector_licenses)
        travel = ImpossibleTravel(thresholds, PlaceNames(place_key))
        anonymizer = Anonymizer(thresholds, self._signals)
        clock = ClockTampering(thresholds)
        self._learners: dict[str, Learner] = {
            CLOCK: clock,
            FIRST_COUNTRY: anonymizer,
            TRAVEL_PAIR: travel,
        }
        self.detectors: tuple[Detector, ...] = (
            SeatOveruse(thresholds),
            MachineSharing(thresholds),
            NetworkSpread(thresholds),
            travel,
            Territory(),
            anonymizer,
            DeadKey(thresholds),
            ReplayedNonce(thresholds),
            clock,
            ClonedMachine(thresholds),
            Overage(),
            self.guessing,
        )
        self._raised: LruMap[RaisedKey, int] = LruMap(thresholds.detector_licenses)

    def retry_after(
        self, host: int, network: int, machine: str, now: int, asn: int | None = None
    ) -> int | None:
        return self.guessing.retry_after(host, network, machine, now, asn)

    def observe(self, event: CheckinEvent, now: int) -> list[FlagDraft]:
        drafts, replayed = [], False
        for detector in self.detectors:
            if replayed and detector.kind in REPLAY_BLIND:
                continue
            draft = detector.observe(event, now)
            replayed = replayed or (draft is not None and draft.kind is FlagKind.REPLAYED_NONCE)
            if draft is not None and self._fresh(draft, now):
                drafts.append(draft)
        return drafts

    def remember_raised(self, kind: str, license_id: int | None, scope: str, at: int) -> None:
        """A flag already stored (read back at start-up) is not drafted again too soon."""
        self._raised.put((kind, license_id, scope), at)

    def replay(self, events: Iterable[CheckinEvent]) -> int:
        """Refill the windows from stored history, oldest first; drafts are dropped (their
        flags were raised before). Returns the number of events replayed."""
        count = 0
        for event in events:
            for detector in self.detectors:
                detector.observe(event, event.at)
            count += 1
        return count

    def learned(self, since: int) -> list[Learned]:
        """What was learned (clock offsets, first countries, hops) since ``since``: the rows
        a restart reads back with ``learn``."""
        return [fact for learner in self._learners.values() for fact in learner.learned(since)]

    def learn(self, facts: Iterable[Learned]) -> int:
        """Take back facts saved before a restart (oldest first); unknown kinds are skipped."""
        count = 0
        for fact in facts:
            learner = self._learners.get(fact.kind)
            if learner is not None:
                learner.learn(fact)
                count += 1
        return count

    def _fresh(self, draft: FlagDraft, now: int) -> bool:
        key = (draft.kind.value, draft.license_id, draft.scope)
        last = self._raised.get(key)
        if last is not None and now - last < self.thresholds.flag_refire_seconds:
            return False
        self._raised.put(key, now)
        if draft.license_id is not None and draft.kind is not FlagKind.ANONYMIZER:
            self._by_license.setdefault(draft.license_id, dict)[draft.kind.value] = now
        return True

    def _signals(self, license_id: int, since: int) -> int:
        """Kinds of flag (other than anonymizer) drafted for the license since ``since``."""
        kinds = self._by_license.get(license_id) or {}
        return sum(at >= since for at in kinds.values())
