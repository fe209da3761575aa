"""What a node shares of its detector events: reduced, pseudonymous, sealed, and read back
exactly (or skipped when unreadable)."""

import dataclasses
import ipaddress

from licmon.abuse.record_seal import RecordSeal
from licmon.domain.detectors.netkeys import host_key
from licmon.domain.detectors.shared import (
    decode,
    encode_event,
    encode_throttled,
    host_pseudonym,
    shareable,
)
from licmon.domain.models import DenyReason, IpPrecision, Outcome
from tests.abuse.events import T0, event, invalid, located

PEPPER = b"k" * 32


def test_an_event_read_back_is_the_event_that_was_shared() -> None:
    full = dataclasses.replace(
        located(T0, 48.85, 2.35, asn=3215, anonymizer="vpn", client_time=T0 - 5),
        outcome=Outcome.DENIED,
        reason=DenyReason.SEATS_EXHAUSTED,
        nonce="n-1",
        allowed_countries=frozenset({"FR", "DE"}),
        known_place="office",
    )
    for original in (full, event(), invalid(T0, "203.0.113.5")):
        observation = decode(encode_event(original))
        assert observation is not None and observation.event == original


def test_a_throttled_attempt_is_its_host_and_time() -> None:
    observation = decode(encode_throttled(12345, T0))
    assert observation is not None
    assert (observation.event, observation.throttled_host, observation.at) == (None, 12345, T0)


def test_unreadable_records_are_skipped_and_unknown_fields_ignored() -> None:
    for text in ("", "not json", "[]", '{"at": 1}', '{"at": 1, "outcome": "nonsense"}'):
        assert decode(text) is None
    later_version = encode_event(event())[:-1] + ',"new_field":7}'
    observation = decode(later_version)
    assert observation is not None and observation.event == event()


def test_a_check_in_leaves_its_host_and_under_precision_none_its_network_and_place() -> None:
    seen = located(T0, 48.85, 2.35)
    network = shareable(seen, IpPrecision.NETWORK)
    assert network.host == 0 and network.network == seen.network
    assert (network.latitude, network.country) == (48.85, "XX")
    none = shareable(seen, IpPrecision.NONE)
    assert (none.host, none.network, none.latitude, none.longitude, none.accuracy_km) == (
        0, 0, None, None, None,
    )  # fmt: skip
    assert none.country == "XX" and none.license_id == seen.license_id
    unknown_key = invalid(T0, "203.0.113.5")
    assert shareable(unknown_key, None) == unknown_key  # its host is already a pseudonym


def test_the_host_pseudonym_is_the_same_on_every_node_and_no_host_key() -> None:
    address = ipaddress.ip_address("203.0.113.5")
    one, other = host_pseudonym(PEPPER), host_pseudonym(PEPPER)
    assert one(address) == other(address) != host_key(address)
    assert host_pseudonym(b"x" * 32)(address) != one(address)
    assert one(address) != one(ipaddress.ip_address("203.0.113.6"))
    assert 0 <= one(ipaddress.ip_address("2001:db8::1")) < 1 << 63


def test_a_sealed_record_opens_only_with_the_same_pepper_and_unaltered() -> None:
    seal = RecordSeal(PEPPER)
    sealed = seal.seal('{"at":1}')
    assert '"at"' not in sealed and seal.seal('{"at":1}') != sealed  # a fresh nonce each
    assert seal.open(sealed) == '{"at":1}'
    assert RecordSeal(b"x" * 32).open(sealed) is None
    flipped = sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1]
    assert seal.open(flipped) is None
    assert seal.open("not base64!") is None and seal.open("") is None
