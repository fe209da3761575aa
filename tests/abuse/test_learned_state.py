"""The detectors' learned facts (issue 15): taken out of one DetectorSet and into a fresh one,
they give the same answers; a hop is saved as pseudonyms, never as a network."""

from licmon.domain.detectors import DetectorSet, FlagKind, Thresholds
from licmon.domain.detectors.learned import TRAVEL_PAIR
from tests.abuse.events import T0, event, located

BERLIN, NEW_YORK = (52.52, 13.40), (40.71, -74.01)
HOME, VPN = "198.51.100.7", "203.0.113.9"


def kinds(detectors: DetectorSet, events: list) -> list[FlagKind]:
    return [d.kind for e in events for d in detectors.observe(e, e.at)]


def hop(at: int, where: tuple[float, float], address: str) -> object:
    return located(at, *where, address=address)


def test_stable_places_and_clock_offsets_survive_a_new_detector_set() -> None:
    t = Thresholds(flag_refire_seconds=0, travel_return_seconds=0)  # hops judged at once
    lessons = [
        hop(T0, BERLIN, HOME),
        hop(T0 + 900, NEW_YORK, VPN),  # flagged once: a new pair
        hop(T0 + 1800, BERLIN, HOME),  # learned: back and forth
        *(event(T0 + 2000 + n, client_time=T0 + 2000 + n) for n in range(4)),
    ]
    first = DetectorSet(t, place_key=b"k" * 32)
    assert kinds(first, lessons).count(FlagKind.IMPOSSIBLE_TRAVEL) == 1
    facts = first.learned(0)
    pairs = [f for f in facts if f.kind == TRAVEL_PAIR]
    assert pairs and all("198.51" not in f.subject and "203.0" not in f.subject for f in pairs)
    test = [
        hop(T0 + 2700, NEW_YORK, VPN),
        event(T0 + 3000, client_time=T0 + 3000 - 23 * 3600),
    ]
    restored = DetectorSet(t, place_key=b"k" * 32)
    assert restored.learn(facts) == len(facts)
    forgetful = DetectorSet(t, place_key=b"k" * 32)
    forgetful.observe(hop(T0 + 1800, BERLIN, HOME), T0 + 1800)  # what replay gives back
    restored.observe(hop(T0 + 1800, BERLIN, HOME), T0 + 1800)
    assert kinds(restored, test) == [FlagKind.CLOCK_TAMPERING]
    assert kinds(forgetful, test) == [FlagKind.IMPOSSIBLE_TRAVEL]


def test_pseudonyms_depend_on_the_key() -> None:
    a, b = DetectorSet(Thresholds(), b"a" * 32), DetectorSet(Thresholds(), b"b" * 32)
    for detectors in (a, b):
        kinds(detectors, [hop(T0, BERLIN, HOME), hop(T0 + 900, NEW_YORK, VPN)])
    assert {f.subject for f in a.learned(0)} != {f.subject for f in b.learned(0)}


def test_a_steady_clock_is_saved_again_hourly_not_at_every_check_in() -> None:
    detectors = DetectorSet(Thresholds())
    for n in range(6):
        detectors.observe(event(T0 + n * 60, client_time=T0 + n * 60 + 5), T0 + n * 60)
    saved_at = T0 + 6 * 60
    for n in range(6, 30):  # 24 more minutes, the same offset
        detectors.observe(event(T0 + n * 60, client_time=T0 + n * 60 + 5), T0 + n * 60)
    assert detectors.learned(saved_at) == []  # nothing new worth a write
    later = T0 + 2 * 3600
    detectors.observe(event(later, client_time=later + 5), later)
    (fact,) = detectors.learned(saved_at)
    assert fact.at == later and fact.value == [5.0, 31]
    jump = later + 60
    detectors.observe(event(jump, client_time=jump + 600), jump)  # a changed offset: at once
    assert [f.at for f in detectors.learned(later + 1)] == [jump]
