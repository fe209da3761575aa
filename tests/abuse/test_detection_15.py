"""Issue 15 in the domain: retries across networks, clones in one city, learned clock
offsets, sublinear allowances, declared places."""

from dataclasses import replace

from licmon.domain.detectors import DetectorSet, Thresholds
from tests.abuse.events import T0, event

T = Thresholds()


def kinds(d: DetectorSet, *events: object) -> list[str]:
    found = []
    for e in events:
        found += [x.kind.value for x in d.observe(e, e.at)]  # type: ignore[attr-defined]
    return found


def test_a_retry_over_another_network_is_not_a_replay_but_another_machine_is() -> None:
    d = DetectorSet(T)
    first = event(T0, "198.51.100.7", nonce="n" * 22)
    retry = event(T0 + 40, "203.0.113.9", nonce="n" * 22)
    assert kinds(d, first, retry) == []
    other = event(T0 + 60, "203.0.113.9", nonce="n" * 22, machine="machine-0002")
    assert kinds(d, other) == ["replayed_nonce"]


def test_one_machine_renewing_from_two_networks_interleaved_is_a_clone() -> None:
    d = DetectorSet(T)
    here, there = ("198.51.100.7", 3320), ("203.0.113.9", 7922)
    found = []
    for n in range(4):
        address, asn = (here, there)[n % 2]
        found += kinds(d, event(T0 + n * 600, address, asn=asn, lease_seconds=3600))
    assert found == ["cloned_machine"]


def test_a_commuter_and_a_retry_across_networks_are_not_clones() -> None:
    d = DetectorSet(T)
    found = []
    for n in range(12):  # home in the morning, office all day, home at night
        address = "198.51.100.7" if n < 2 or n > 9 else "203.0.113.9"
        found += kinds(d, event(T0 + n * 1800, address, asn=3320 if n < 2 or n > 9 else 7922))
    for n in range(4):  # a time-out resent over the other network: same nonce
        address = ("198.51.100.7", "203.0.113.9")[n % 2]
        found += kinds(d, event(T0 + 86400 + n * 30, address, nonce=f"nonce-{n // 2:018d}"))
    assert found == []


def test_a_declared_vpn_egress_is_no_clone_no_spread_no_travel() -> None:
    d = DetectorSet(T)
    found = []
    for n in range(8):
        at = T0 + n * 300
        if n % 2:
            e = event(at, "203.0.113.9", known_place="vpn", latitude=40.7, longitude=-74.0)
        else:
            e = event(at, "198.51.100.7", latitude=52.5, longitude=13.4, accuracy_km=20)
        found += kinds(d, e)
    assert found == []


def test_a_machine_clock_jumping_away_from_its_usual_offset_is_flagged() -> None:
    d = DetectorSet(T)
    found = []
    for n in range(5):  # a time zone set wrong: five hours ahead, every time
        at = T0 + n * 1800
        found += kinds(d, event(at, client_time=at + 5 * 3600))
    assert found == []
    at = T0 + 6 * 1800
    found += kinds(d, event(at, client_time=at - 23 * 3600))  # inside the absolute bound
    assert found == ["clock_tampering"]


def test_a_clock_put_right_is_not_a_jump() -> None:
    d = DetectorSet(T)
    found = []
    for n in range(5):
        at = T0 + n * 1800
        found += kinds(d, event(at, client_time=at + 5 * 3600))
    found += kinds(d, event(T0 + 6 * 1800, client_time=T0 + 6 * 1800))
    assert found == []


def test_network_spread_allowances_grow_sublinearly_with_seats() -> None:
    d = DetectorSet(T)
    found = []
    for n in range(60):  # a 100-seat license from sixty networks of sixty ASNs
        found += kinds(d, event(T0 + n, f"198.{n}.100.7", asn=64000 + n, seats=100))
    assert "network_spread" in found


def test_anonymizer_severity_rises_with_evasion_and_other_signals() -> None:
    d = DetectorSet(T)
    de = frozenset({"DE"})
    privacy = d.observe(event(T0, anonymizer="vpn", country="NL", license_id=5), T0)
    assert [(x.kind.value, x.severity.value) for x in privacy] == [("anonymizer", "low")]
    d.observe(event(T0, country="RU", allowed_countries=de, license_id=6), T0)
    evasion = d.observe(
        event(T0 + 60, anonymizer="vpn", country="DE", allowed_countries=de, license_id=6), T0 + 60
    )
    assert [(x.kind.value, x.severity.value) for x in evasion] == [("anonymizer", "high")]
    for n in range(4):  # machine sharing on license 7, then a VPN
        d.observe(event(T0 + n, machine=f"m-{n}", license_id=7), T0 + n)
    signalled = d.observe(event(T0 + 9, anonymizer="vpn", country="NL", license_id=7), T0 + 9)
    assert ("anonymizer", "medium") in [(x.kind.value, x.severity.value) for x in signalled]


def test_a_pair_of_places_visited_back_and_forth_is_learned_and_not_travel() -> None:
    d = DetectorSet(T)
    berlin = {"latitude": 52.5, "longitude": 13.4, "accuracy_km": 20, "country": "DE"}
    new_york = {"latitude": 40.7, "longitude": -74.0, "accuracy_km": 20, "country": "US"}
    found = []
    for n in range(8):  # an undeclared VPN: home and its exit, two hours each
        where = ("198.51.100.7", berlin) if n % 2 == 0 else ("203.0.113.9", new_york)
        found += [k for k in kinds(d, event(T0 + n * 7200, where[0], **where[1]))]
    # not even the first hop: the machine came back within travel_return_seconds
    assert found.count("impossible_travel") == 0
    at_once = DetectorSet(replace(T, travel_return_seconds=0))
    found = []
    for n in range(8):
        where = ("198.51.100.7", berlin) if n % 2 == 0 else ("203.0.113.9", new_york)
        found += [k for k in kinds(at_once, event(T0 + n * 7200, where[0], **where[1]))]
    assert found.count("impossible_travel") == 1  # without waiting: the first hop, then learned
    two_people = DetectorSet(T)
    found = []
    for n in range(4):  # one seat, two machines on two continents: travel every time
        where = ("198.51.100.7", berlin) if n % 2 == 0 else ("203.0.113.9", new_york)
        e = event(T0 + n * 7200, where[0], machine=f"pc-{n % 2}", **where[1])
        found += [k for k in kinds(two_people, e)]
    assert "impossible_travel" in found
