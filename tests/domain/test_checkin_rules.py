from dataclasses import replace

import pytest

from licmon.domain.checkin import (
    checkin_command,
    decide_seat,
    lease_claims,
    license_denial,
)
from licmon.domain.models import (
    NO_GEO,
    CheckinRequest,
    DenyReason,
    GeoInfo,
    IpPrecision,
    License,
    LicenseStatus,
    LicenseTerms,
    Org,
    Outcome,
    SeatState,
)
from licmon.domain.network import parse_ip
from licmon.domain.purposes import DAY

NOW = 1_800_000_000
LIC = License(1, Org(1, "acme", "Acme"), "viewer", LicenseTerms(seats=2, max_machines=4))


def _with_terms(**changes: object) -> License:
    return replace(LIC, terms=replace(LIC.terms, **changes))


@pytest.mark.parametrize(
    ("lic", "product", "country", "reason"),
    [
        (LIC, "viewer", None, None),
        (replace(LIC, status=LicenseStatus.REVOKED), "viewer", None, DenyReason.REVOKED),
        (replace(LIC, status=LicenseStatus.SUSPENDED), "viewer", None, DenyReason.SUSPENDED),
        (_with_terms(valid_from=NOW + 1), "viewer", None, DenyReason.NOT_YET_VALID),
        (_with_terms(valid_until=NOW), "viewer", None, DenyReason.EXPIRED),
        (_with_terms(valid_until=NOW + 1), "viewer", None, None),
        (LIC, "editor", None, DenyReason.PRODUCT_MISMATCH),
        (_with_terms(allowed_countries=frozenset({"DE"})), "viewer", "FR", DenyReason.TERRITORY),
        (_with_terms(allowed_countries=frozenset({"DE"})), "viewer", "DE", None),
        (
            _with_terms(allowed_countries=frozenset({"DE"})),
            "viewer",
            None,
            None,
        ),  # unknown: allowed
    ],
)
def test_license_denial(
    lic: License, product: str, country: str | None, reason: DenyReason | None
) -> None:
    assert license_denial(lic, product, NOW, country) == reason


def test_revocation_outranks_every_other_reason() -> None:
    lic = replace(_with_terms(valid_until=NOW - 1), status=LicenseStatus.REVOKED)
    assert license_denial(lic, "editor", NOW, None) == DenyReason.REVOKED


@pytest.mark.parametrize(
    ("state", "outcome", "in_use"),
    [
        (SeatState(holds_seat=False, in_use=0), Outcome.GRANTED, 1),
        (SeatState(holds_seat=False, in_use=1), Outcome.GRANTED, 2),
        (SeatState(holds_seat=False, in_use=2), Outcome.DENIED, 2),
        (SeatState(holds_seat=True, in_use=2), Outcome.RENEWED, 2),
    ],
)
def test_decide_seat(state: SeatState, outcome: Outcome, in_use: int) -> None:
    result = decide_seat(LIC, state)
    assert (result.outcome, result.seats_in_use) == (outcome, in_use)
    assert (result.reason == DenyReason.SEATS_EXHAUSTED) == (outcome is Outcome.DENIED)


def test_lease_and_grace_never_outlive_the_license() -> None:
    lic = _with_terms(valid_until=NOW + 60)
    claims = lease_claims("licmon", lic, CheckinRequest("k", "viewer", "m" * 8, "n"), NOW, 1)
    assert claims["exp"] == NOW + 60 and claims["grace_until"] == NOW + 60


def test_command_tags_the_connection_with_purpose_deadline_and_precision() -> None:
    lic = replace(LIC, org=Org(2, "globex", "Globex", IpPrecision.NETWORK, retention_days=30))
    req = CheckinRequest("k", "viewer", "machine-01", "n")
    cmd = checkin_command(lic, req, parse_ip("203.0.113.9"), GeoInfo(country="SE"), NOW)  # type: ignore[arg-type]
    record = cmd.connection
    assert record.address == "203.0.113.0/24"
    assert record.purpose == "license.enforcement.checkin"
    day_start = NOW - NOW % DAY
    assert record.retain_until == day_start + 30 * DAY
    assert cmd.denial is None and cmd.lease_expires == NOW + 1800


def test_retention_is_capped_by_the_purpose_maximum() -> None:
    lic = replace(LIC, org=replace(LIC.org, retention_days=3650))
    cmd = checkin_command(
        lic, CheckinRequest("k", "viewer", "machine-01", "n"), parse_ip("203.0.113.9"), NO_GEO, NOW
    )  # type: ignore[arg-type]
    assert cmd.connection.retain_until == NOW - NOW % DAY + 60 * DAY
