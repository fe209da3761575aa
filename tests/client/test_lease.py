"""Lease checks, trusted keys, backoff and Retry-After, with no server and no event loop."""

import json
import random
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from licmon.client import LeaseRejected, Timing, TrustedKeys, verify_lease
from licmon.client.lease import Expected
from licmon.client.transport import retry_after
from licmon.signing import KeyRing, SigningKey, key_id

NOW = 1_800_000_000
NONCE = "n" * 43


def new_ring() -> KeyRing:
    private = Ed25519PrivateKey.generate()
    return KeyRing([SigningKey(key_id(private.public_key()), private, 0)])


@pytest.fixture
def ring() -> KeyRing:
    return new_ring()


@pytest.fixture
def keys(ring: KeyRing) -> TrustedKeys:
    return TrustedKeys.from_jwks(ring.jwks())


def claims(**changes: Any) -> dict[str, Any]:
    base = {
        "iss": "licmon",
        "sub": "7",
        "aud": "viewer",
        "machine": "machine-0001",
        "nonce": NONCE,
        "iat": NOW,
        "exp": NOW + 1800,
        "grace_until": NOW + 86400,
        "seats": 2,
        "entitlements": ["export"],
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def expect(**changes: Any) -> Expected:
    values = {"product": "viewer", "machine": "machine-0001", "nonce": NONCE, "now": NOW}
    values.update(changes)
    return Expected(leeway=120, **values)


def test_a_good_lease_verifies(ring: KeyRing, keys: TrustedKeys) -> None:
    lease = verify_lease(ring.sign(claims()), keys, expect())
    assert lease.license_id == "7" and lease.entitlements == ("export",)
    assert lease.usable_until == NOW + 86400 and lease.lifetime == 1800


@pytest.mark.parametrize(
    ("changes", "expected", "why"),
    [
        ({"aud": "editor"}, {}, "another product"),
        ({"machine": "machine-9999"}, {}, "another machine"),
        ({"nonce": "m" * 43}, {}, "another request"),
        ({}, {"issuer": "vendor-eu"}, "another server"),
        ({"iat": NOW - 1000, "exp": NOW - 121}, {}, "already expired"),
        ({"grace_until": None}, {}, "no 'grace_until' claim"),
        ({"nonce": None}, {}, "no 'nonce' claim"),
        ({"exp": "tomorrow"}, {}, "whole seconds"),
        ({"exp": NOW - 10, "iat": NOW}, {}, "ends before it starts"),
    ],
)
def test_a_lease_that_is_not_ours_is_rejected(
    ring: KeyRing, keys: TrustedKeys, changes: dict[str, Any], expected: dict[str, Any], why: str
) -> None:
    with pytest.raises(LeaseRejected, match=why):
        verify_lease(ring.sign(claims(**changes)), keys, expect(**expected))


def test_a_saved_lease_needs_no_nonce_and_may_have_expired(
    ring: KeyRing, keys: TrustedKeys
) -> None:
    token = ring.sign(claims(nonce="from-an-earlier-run"))
    assert verify_lease(token, keys, expect(nonce=None, now=NOW + 7200)).nonce


def test_clock_skew_within_the_leeway_is_tolerated(ring: KeyRing, keys: TrustedKeys) -> None:
    verify_lease(ring.sign(claims(iat=NOW - 1000, exp=NOW - 60)), keys, expect())


def test_another_key_is_not_trusted(keys: TrustedKeys) -> None:
    other = new_ring()
    with pytest.raises(LeaseRejected, match="does not trust"):
        verify_lease(other.sign(claims()), keys, expect())
    unnamed = jwt.encode(claims(), Ed25519PrivateKey.generate(), algorithm="EdDSA")
    with pytest.raises(LeaseRejected, match="does not match a trusted key"):
        verify_lease(unnamed, keys, expect())


@pytest.mark.parametrize("token", ["", "garbage", "a.b.c", "e30.e30.e30"])
def test_garbage_is_rejected(keys: TrustedKeys, token: str) -> None:
    with pytest.raises(LeaseRejected):
        verify_lease(token, keys, expect())


def test_the_client_names_keys_as_the_server_does(ring: KeyRing, tmp_path: Path) -> None:
    public = ring.current.public
    pem = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    (tmp_path / "key.pem").write_bytes(pem)
    (tmp_path / "jwks.json").write_text(json.dumps(ring.jwks()))
    from_pem = TrustedKeys.from_file(tmp_path / "key.pem")
    from_jwks = TrustedKeys.from_file(tmp_path / "jwks.json")
    assert from_pem.to_jwks() == from_jwks.to_jwks() == ring.jwks()
    assert len(from_pem.candidates(key_id(public))) == 1


@pytest.mark.parametrize(
    "document",
    [
        "{}",
        '{"keys": []}',
        '{"keys": [{"kty": "RSA", "n": "x", "e": "AQAB"}]}',
        '{"keys": [{"kty": "OKP", "crv": "Ed25519", "x": "short"}]}',
        "not json",
    ],
)
def test_a_jwks_without_a_usable_ed25519_key_is_refused(document: str) -> None:
    with pytest.raises(ValueError):
        TrustedKeys.from_jwks(document)


def test_backoff_grows_exponentially_with_jitter_up_to_a_cap() -> None:
    timing = Timing(backoff_base=1.0, backoff_cap=8.0)
    rng = random.Random(1)
    for failures, ceiling in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (10, 8.0)]:
        delays = {timing.backoff(failures, rng) for _ in range(50)}
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(delays) > 1  # jittered, so clients do not return in step


def test_heartbeat_is_a_fraction_of_the_lease_with_a_floor() -> None:
    timing = Timing(heartbeat_fraction=0.5, min_heartbeat=30)
    assert timing.heartbeat(1800) == 900 and timing.heartbeat(10) == 30


def test_retry_after_reads_seconds_and_http_dates() -> None:
    assert retry_after("120") == 120.0
    assert retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now=1445412480.0) == 30.0
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412480.0) == 0.0
    assert retry_after("99999999") == 24 * 3600.0
    assert retry_after(None) is None and retry_after("soon") is None


def test_timing_refuses_nonsense() -> None:
    with pytest.raises(ValueError):
        Timing(attempts=0)
