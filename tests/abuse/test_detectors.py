"""Each detector fires on its abuse pattern and stays quiet on the honest look-alike.

Pure domain: no server, no clock, no I/O; ``now`` is an argument.
"""

from dataclasses import replace

from licmon.domain.detectors import DetectorSet, FlagKind, Severity, Thresholds
from licmon.domain.detectors.place import (
    Anonymizer,
    ImpossibleTravel,
    NetworkSpread,
    Territory,
)
from licmon.domain.detectors.request import ClockTampering, ReplayedNonce
from licmon.domain.detectors.usage import DeadKey, MachineSharing, SeatOveruse
from licmon.domain.models import DenyReason, Outcome
from tests.abuse.events import T0, event, located, refused

T = Thresholds()
NYC = "203.0.113.9"  # a network of its own (Berlin is 198.51.100.7)
MINUTE, HOUR, DAY = 60, 3600, 86400
BERLIN, NEW_YORK, FRANKFURT = (52.52, 13.40), (40.71, -74.01), (50.11, 8.68)


def fired(detector: object, events: list) -> list:
    return [d for e in events if (d := detector.observe(e, e.at)) is not None]  # type: ignore[attr-defined]


# -- seat overuse
def test_seat_overuse_fires_when_several_machines_are_refused() -> None:
    drafts = fired(SeatOveruse(T), [refused(T0 + i * MINUTE, f"m-{i}") for i in range(3)])
    assert [d.kind for d in drafts] == [FlagKind.SEAT_OVERUSE]
    assert drafts[0].evidence["refused_machines"] == 3


def test_seat_overuse_ignores_one_machine_retrying_after_a_time_out() -> None:
    retries = [refused(T0 + i * 30, "latecomer") for i in range(20)]
    assert fired(SeatOveruse(T), retries) == []


def test_seat_overuse_forgets_refusals_outside_its_window() -> None:
    spread_out = [refused(T0 + i * 2 * HOUR, f"m-{i}") for i in range(5)]
    assert fired(SeatOveruse(T), spread_out) == []


# -- machine sharing
def test_machine_sharing_fires_above_max_machines() -> None:
    events = [event(T0 + i * HOUR, machine=f"m-{i}", max_machines=3) for i in range(4)]
    drafts = fired(MachineSharing(T), events)
    assert [d.evidence["machines_seen"] for d in drafts] == [4]
    assert drafts[0].severity is Severity.HIGH


def test_machine_sharing_counts_a_reinstall_or_a_moving_laptop_once() -> None:
    same_machine = [
        event(T0 + i * MINUTE, address=f"198.51.{i}.7", machine="laptop", max_machines=1)
        for i in range(10)
    ]
    assert fired(MachineSharing(T), same_machine) == []


# -- network spread
def test_network_spread_fires_on_many_networks_and_asns() -> None:
    sites = [event(T0 + i * MINUTE, address=f"203.0.{i}.9", asn=64500 + i) for i in range(8)]
    drafts = fired(NetworkSpread(T), sites)
    assert drafts and drafts[0].kind is FlagKind.NETWORK_SPREAD


def test_network_spread_does_not_count_carrier_grade_nat_or_private_ranges() -> None:
    shared = [f"100.{64 + i}.{i}.1" for i in range(30)] + [f"10.{i}.0.1" for i in range(30)]
    events = [event(T0 + i, address=a, seats=1) for i, a in enumerate(shared)]
    assert fired(NetworkSpread(T), events) == []


def test_network_spread_counts_one_carriers_address_pool_as_a_few_places() -> None:
    pool = [event(T0 + i * MINUTE, address=f"203.0.{i}.9", asn=64901) for i in range(40)]
    assert fired(NetworkSpread(T), pool) == []


def test_network_spread_ignores_a_vpn_users_changing_exits() -> None:
    exits = [
        event(T0 + i * HOUR, address=f"203.0.{i}.9", asn=64990 + i, anonymizer="vpn")
        for i in range(12)
    ]
    assert fired(NetworkSpread(T), exits) == []


def test_network_spread_forgets_networks_outside_its_window() -> None:
    one_a_day = [event(T0 + i * DAY, address=f"203.0.{i}.9", asn=64500 + i) for i in range(12)]
    assert fired(NetworkSpread(T), one_a_day) == []


# -- impossible travel
def test_impossible_travel_fires_on_berlin_then_new_york_an_hour_later() -> None:
    trip = [located(T0, *BERLIN), located(T0 + HOUR, *NEW_YORK, address=NYC)]
    assert fired(ImpossibleTravel(T), trip) == []  # one machine: it may come back (a VPN)
    stayed = [*trip, located(T0 + 5 * HOUR, *NEW_YORK, address=NYC)]
    drafts = fired(ImpossibleTravel(T), stayed)
    assert drafts and drafts[0].evidence["speed_kmh"] > 5000
    assert drafts[0].evidence["hours"] == 1.0  # the hop itself, not the wait
    back = [*trip, located(T0 + 2 * HOUR, *BERLIN), located(T0 + 6 * HOUR, *BERLIN)]
    assert fired(ImpossibleTravel(T), back) == []
    at_once = ImpossibleTravel(replace(T, travel_return_seconds=0))
    assert fired(at_once, trip)


def test_impossible_travel_lets_a_traveller_fly_at_plane_speed() -> None:
    flight_hours = 6385 / 850  # Berlin - New York at 850 km/h, gate to gate
    trip = [located(T0, *BERLIN), located(T0 + int(flight_hours * HOUR), *NEW_YORK)]
    assert fired(ImpossibleTravel(T), trip) == []


def test_impossible_travel_subtracts_accuracy_radii_and_skips_vague_or_anonymized_sides() -> None:
    near = [located(T0, *BERLIN, accuracy=150), located(T0 + 600, 51.34, 12.37, accuracy=150)]
    vague = [located(T0, *BERLIN), located(T0 + 600, *FRANKFURT, accuracy=500)]
    vpn = [located(T0, *BERLIN), located(T0 + 600, *NEW_YORK, anonymizer="vpn")]
    for trip in (near, vague, vpn):
        assert fired(ImpossibleTravel(T), trip) == []


def test_impossible_travel_follows_machines_apart_on_licenses_with_several_seats() -> None:
    two_offices = [
        located(T0, *BERLIN, machine="berlin-pc", seats=2),
        located(T0 + 60, *NEW_YORK, machine="nyc-pc", seats=2),
        located(T0 + 120, *BERLIN, machine="berlin-pc", seats=2),
    ]
    assert fired(ImpossibleTravel(T), two_offices) == []
    cloned = [
        *two_offices,
        located(T0 + 180, *NEW_YORK, machine="berlin-pc", seats=2, address=NYC),
        located(T0 + 180 + 4 * HOUR, *NEW_YORK, machine="berlin-pc", seats=2, address=NYC),
    ]
    assert fired(ImpossibleTravel(T), cloned)


# -- territory
def test_territory_flags_a_refusal_for_the_country() -> None:
    e = event(outcome=Outcome.DENIED, reason=DenyReason.TERRITORY, country="US")
    drafts = fired(Territory(), [e])
    assert drafts[0].kind is FlagKind.TERRITORY and drafts[0].evidence["country"] == "US"


def test_territory_reports_an_unknown_country_and_is_quiet_inside_the_territory() -> None:
    allowed = frozenset({"DE", "AT"})
    inside = event(country="DE", allowed_countries=allowed)
    unknown = event(country=None, allowed_countries=allowed)
    no_database = event(country=None, allowed_countries=allowed, located=False)
    assert fired(Territory(), [inside, no_database]) == []
    (report,) = fired(Territory(), [unknown])
    assert report.kind is FlagKind.UNKNOWN_COUNTRY and report.severity is Severity.INFO


# -- anonymizer
def test_anonymizer_is_informational_and_quiet_without_one() -> None:
    (draft,) = fired(Anonymizer(Thresholds()), [event(anonymizer="tor")])
    assert draft.severity is Severity.LOW and draft.evidence["anonymizer"] == "tor"
    assert fired(Anonymizer(Thresholds()), [event()]) == []


# -- dead key
def test_dead_key_fires_when_a_revoked_key_keeps_checking_in() -> None:
    attempts = [refused(T0 + i * 20 * MINUTE, f"m-{i % 3}", DenyReason.REVOKED) for i in range(10)]
    drafts = fired(DeadKey(T), attempts)
    assert drafts and drafts[0].severity is Severity.HIGH


def test_dead_key_lets_an_expired_user_open_the_program_a_few_times() -> None:
    opened = [refused(T0 + i * 3 * HOUR, "laptop", DenyReason.EXPIRED) for i in range(4)]
    retried = [refused(T0 + i * 30, "laptop", DenyReason.EXPIRED) for i in range(20)]
    assert fired(DeadKey(T), opened) == []
    assert fired(DeadKey(T), retried) == []


# -- clock tampering
def test_clock_tampering_fires_on_a_clock_set_back_months() -> None:
    drafts = fired(ClockTampering(T), [event(client_time=T0 - 120 * DAY)])
    assert drafts[0].evidence["skew_seconds"] == -120 * DAY


def test_clock_tampering_tolerates_a_wrong_time_zone_and_a_retried_request() -> None:
    fine = [event(client_time=T0 + 5 * HOUR), event(T0 + 90, client_time=T0)]
    assert fired(ClockTampering(T), fine) == []


# -- replayed nonce
def test_replayed_nonce_fires_on_the_same_nonce_from_elsewhere_later() -> None:
    first = event(T0, nonce="n-1")
    replay = event(T0 + 2 * HOUR, address="203.0.113.9", nonce="n-1")
    drafts = fired(ReplayedNonce(T), [first, replay])
    assert drafts[0].evidence["seconds_later"] == 2 * HOUR


def test_replayed_nonce_accepts_a_heartbeat_retried_after_a_time_out() -> None:
    assert fired(ReplayedNonce(T), [event(T0, nonce="n-1"), event(T0 + 45, nonce="n-1")]) == []


def test_replayed_nonce_memory_is_bounded() -> None:
    small = Thresholds(nonce_memory=100)
    detector = ReplayedNonce(small)
    for i in range(1000):
        detector.observe(event(T0 + i, nonce=f"n-{i}"), T0 + i)
    assert len(detector._seen) == 100


# -- the set
def test_a_persisting_pattern_is_drafted_again_only_after_the_refire_period() -> None:
    detectors = DetectorSet(T)
    tampered = [event(T0 + i * MINUTE, client_time=T0 - 90 * DAY) for i in range(120)]
    drafts = [d for e in tampered for d in detectors.observe(e, e.at)]
    assert len(drafts) == 2  # at T0 and one refire period later


def test_state_per_license_is_capped() -> None:
    detectors = DetectorSet(Thresholds(detector_licenses=50))
    for lic in range(1000):
        detectors.observe(event(T0 + lic, license_id=lic, machine=f"m-{lic}"), T0 + lic)
    sharing = detectors.detectors[1]
    assert len(sharing._machines) == 50  # type: ignore[attr-defined]


def test_replaying_history_refills_windows_without_drafting() -> None:
    detectors = DetectorSet(T)
    history = [event(T0 + i * HOUR, machine=f"m-{i}", max_machines=3) for i in range(3)]
    assert detectors.replay(history) == 3
    drafts = detectors.observe(event(T0 + 4 * HOUR, machine="m-9", max_machines=3), T0 + 4 * HOUR)
    assert [d.kind for d in drafts] == [FlagKind.MACHINE_SHARING]
