"""Key guessing in the domain: throttled per address, then per network, flagged when it
persists; genuine licenses on the same network keep working."""

import ipaddress
from dataclasses import replace

from licmon.domain.detectors import CheckinEvent, DetectorSet, FlagKind, Thresholds
from licmon.domain.detectors.netkeys import host_key, network_key
from licmon.domain.models import Outcome
from tests.abuse.events import T0, event, invalid

T = Thresholds()


def retry_after(d: DetectorSet, address: str, now: int, machine: str = "guesser-01") -> int | None:
    ip = ipaddress.ip_address(address)
    return d.retry_after(host_key(ip), network_key(ip), machine, now)


def guess(d: DetectorSet, address: str, now: int, machine: str = "guesser-01") -> list:
    return d.observe(invalid(now, address, machine), now)


def test_an_address_is_throttled_past_the_threshold_with_a_growing_capped_retry_after() -> None:
    d = DetectorSet(T)
    for i in range(T.guess_host_threshold):
        assert retry_after(d, "203.0.113.5", T0 + i) is None
        guess(d, "203.0.113.5", T0 + i)
    first = retry_after(d, "203.0.113.5", T0 + 10)
    assert first is not None and 0 < first <= T.guess_retry_base_seconds
    now, waits = T0 + 100, []
    for _ in range(10):  # comes back after each wait and guesses again
        for _ in range(T.guess_host_threshold):
            guess(d, "203.0.113.5", now)
        waits.append(retry_after(d, "203.0.113.5", now))
        now += (waits[-1] or 0) + 1
    assert waits == sorted(waits) and waits[-1] == T.guess_retry_max_seconds


def test_a_flag_is_raised_only_when_guessing_persists_after_a_throttle() -> None:
    d = DetectorSet(T)
    drafts = [x for i in range(T.guess_host_threshold) for x in guess(d, "203.0.113.5", T0 + i)]
    assert drafts == []  # throttled, not flagged yet
    later = T0 + T.guess_retry_base_seconds + 30
    drafts = [x for i in range(T.guess_host_threshold) for x in guess(d, "203.0.113.5", later + i)]
    (flag,) = drafts
    assert flag.kind is FlagKind.KEY_GUESSING and flag.license_id is None
    assert flag.scope == flag.evidence["network"] == "203.0.113.0/24"


def test_a_typo_or_a_misconfigured_client_is_not_throttled() -> None:
    d = DetectorSet(T)
    for i in range(3):
        guess(d, "203.0.113.5", T0 + i * 20)
    for i in range(48):  # a mistyped key tried every half hour for a day
        guess(d, "203.0.113.6", T0 + i * 1800)
    assert retry_after(d, "203.0.113.5", T0 + 100) is None
    assert retry_after(d, "203.0.113.6", T0 + 86400) is None


def test_genuine_licenses_on_a_guessing_network_keep_working() -> None:
    d = DetectorSet(T)
    d.observe(event(T0, "203.0.113.200", outcome=Outcome.GRANTED, machine="office-pc"), T0)
    now = T0 + 60
    for host in range(1, 60):  # slow guessers rotating through the network
        guess(d, f"203.0.113.{host}", now + host)
    assert retry_after(d, "203.0.113.3", now + 70) is not None  # a guessing address
    assert retry_after(d, "203.0.113.201", now + 70, "new-pc") is None  # never guessed
    assert retry_after(d, "203.0.113.200", now + 70, "office-pc") is None


def test_a_machine_granted_from_a_throttled_address_passes_until_it_guesses() -> None:
    d = DetectorSet(T)
    d.observe(event(T0, "203.0.113.9", outcome=Outcome.RENEWED, machine="office-pc"), T0)
    for i in range(T.guess_host_threshold):
        guess(d, "203.0.113.9", T0 + i)
    assert retry_after(d, "203.0.113.9", T0 + 20) is not None
    assert retry_after(d, "203.0.113.9", T0 + 20, "office-pc") is None
    guess(d, "203.0.113.9", T0 + 21, "office-pc")
    assert retry_after(d, "203.0.113.9", T0 + 22, "office-pc") is not None


def test_on_a_shared_address_a_granted_neighbour_keeps_working_through_a_throttle() -> None:
    d = DetectorSet(T)
    d.observe(event(T0, "100.64.1.1", outcome=Outcome.GRANTED, machine="neighbour-pc"), T0)
    for i in range(T.guess_shared_host_threshold):
        guess(d, "100.64.1.1", T0 + i, "guesser-01")
    assert retry_after(d, "100.64.1.1", T0 + 50, "guesser-01") is not None
    assert retry_after(d, "100.64.1.1", T0 + 50, "neighbour-pc") is None


def test_rotating_machines_from_one_address_is_throttled() -> None:
    d = DetectorSet(T)
    for i in range(T.guess_host_threshold):
        guess(d, "203.0.113.5", T0 + i, f"guesser-{i:04d}")
    assert retry_after(d, "203.0.113.5", T0 + 20, "guesser-9999") is not None


def test_a_shared_address_has_a_larger_budget_but_rotating_machines_is_throttled() -> None:
    d = DetectorSet(T)
    assert T.guess_shared_host_threshold > T.guess_host_threshold
    for i in range(T.guess_host_threshold):
        guess(d, "100.64.1.1", T0 + i, f"guesser-{i:04d}")
    assert retry_after(d, "100.64.1.1", T0 + 20, "neighbour-pc") is None  # an office
    for i in range(T.guess_host_threshold, T.guess_shared_host_threshold):
        guess(d, "100.64.1.1", T0 + i, f"guesser-{i:04d}")
    assert retry_after(d, "100.64.1.1", T0 + 60, "guesser-9999") is not None


def test_guessing_spread_over_the_networks_of_one_asn_throttles_its_guessers() -> None:
    t = Thresholds(guess_asn_threshold=50, guess_campaign_threshold=10**6)
    d = DetectorSet(t)
    d.observe(event(T0, "198.51.100.9", outcome=Outcome.GRANTED, machine="office-pc"), T0)
    for n in range(50):  # two keys from each address, each network far below its budget
        address = f"203.0.{n}.7"
        for i in range(2):
            d.observe(invalid_from(address, T0 + n * 2 + i, asn=64500), T0 + n * 2 + i)
    now = T0 + 120
    ip = ipaddress.ip_address("203.0.3.7")
    assert d.retry_after(host_key(ip), network_key(ip), "x", now, 64500) is not None
    ip = ipaddress.ip_address("203.0.3.8")  # never guessed
    assert d.retry_after(host_key(ip), network_key(ip), "x", now, 64500) is None


def test_a_distributed_campaign_is_flagged_and_shrinks_every_address_budget() -> None:
    t = Thresholds(guess_campaign_threshold=40, guess_campaign_networks=20)
    d = DetectorSet(t)
    drafts = []
    for n in range(40):  # one key from each of forty networks of forty ASNs
        drafts += d.observe(invalid_from(f"192.0.{n}.1", T0 + n, asn=64000 + n), T0 + n)
    (campaign,) = drafts
    assert campaign.kind is FlagKind.GUESSING_CAMPAIGN and campaign.license_id is None
    assert campaign.evidence["networks"] == 40
    for i in range(t.guess_campaign_host_threshold):
        guess(d, "203.0.113.77", T0 + 60 + i)
    assert retry_after(d, "203.0.113.77", T0 + 70) is not None


def test_keys_failing_their_check_character_use_the_budget_faster() -> None:
    d = DetectorSet(T)
    for i in range(-(-T.guess_host_threshold // T.guess_malformed_weight)):
        d.observe(invalid_from("203.0.113.5", T0 + i, well_formed=False), T0 + i)
    assert retry_after(d, "203.0.113.5", T0 + 20) is not None


def invalid_from(address: str, at: int, **fields: object) -> CheckinEvent:
    return replace(invalid(at, address), **fields)  # type: ignore[arg-type]
