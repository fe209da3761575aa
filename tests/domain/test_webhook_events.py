"""Webhook rules without a server: URLs, event names, bodies and payloads."""

import pytest

from licmon.domain import webhooks
from licmon.domain.models import IpPrecision, License, LicenseStatus, LicenseTerms, Org
from licmon.errors import BadRequest

ORG = Org(7, "acme", "Acme Ltd", IpPrecision.FULL, 60)


def a_license(status: LicenseStatus = LicenseStatus.ACTIVE, **terms: object) -> License:
    full = LicenseTerms(**{"seats": 3, "max_machines": 6, **terms})  # type: ignore[arg-type]
    return License(11, ORG, "viewer", full, status, 0)


@pytest.mark.parametrize(
    ("url", "https_only", "word"),
    [
        ("http://hooks.example/x", True, "https"),
        ("hooks.example/x", False, "absolute"),
        ("https://", False, "absolute"),
        ("https://a:b@hooks.example/x", False, "credentials"),
        ("https://hooks.example/x#frag", False, "fragment"),
        ("https://" + "a" * 2000 + ".example", False, "1 to 2000"),
    ],
)
def test_bad_urls_are_refused(url: str, https_only: bool, word: str) -> None:
    with pytest.raises(BadRequest, match=word):
        webhooks.check_url(url, require_https=https_only)


def test_good_urls_pass_as_given() -> None:
    assert webhooks.check_url(" https://h.example/in?x=1 ", require_https=True) == (
        "https://h.example/in?x=1"
    )
    assert webhooks.check_url("http://127.0.0.1:8/x", require_https=False)


def test_events_are_known_once_each_in_order() -> None:
    assert webhooks.check_events(["flag.raised", "license.created", "flag.raised"]) == (
        "license.created",
        "flag.raised",
    )
    with pytest.raises(BadRequest, match="Unknown event"):
        webhooks.check_events(["license.created", "license.melted"])
    with pytest.raises(BadRequest, match="at least one"):
        webhooks.check_events([])


def test_the_body_is_strict() -> None:
    assert webhooks.parse_new_endpoint({"url": "u", "events": ["x"]}).events == ("x",)
    for body, word in (
        ({"url": "u"}, "Missing"),
        ({"url": "u", "events": ["x"], "secret": "s"}, "Unknown field"),
        ({"url": 5, "events": []}, "string"),
        ({"url": "u", "events": [1]}, "list of event names"),
    ):
        with pytest.raises(BadRequest, match=word):
            webhooks.parse_new_endpoint(body)
    with pytest.raises(BadRequest, match="Unknown field"):
        webhooks.parse_empty({"x": 1})


def test_status_events_name_the_change_and_nothing_else() -> None:
    active, revoked = a_license(), a_license(LicenseStatus.REVOKED)
    assert webhooks.status_changed(active, revoked) == (
        "license.revoked",
        {
            "license": 11,
            "org": 7,
            "product": "viewer",
            "previous_status": "active",
            "status": "revoked",
        },
    )
    assert webhooks.status_changed(active, active) is None


def test_an_update_lists_what_changed_and_counts_locked_machines() -> None:
    before = a_license(locked_machines=frozenset({"fp-1"}))
    after = a_license(seats=5, locked_machines=frozenset({"fp-1", "fp-2"}))
    data = webhooks.license_updated(before, after)
    assert data is not None
    assert data["changed"] == ["locked_machines", "seats"]
    assert data["previous"] == {"locked_machines": 1, "seats": 3}
    assert "fp-" not in str(data) and "Acme" not in str(data)
    assert webhooks.license_updated(before, before) is None


def test_the_envelope_is_type_timestamp_data() -> None:
    assert webhooks.envelope("flag.raised", 0, {"flag": 1}) == {
        "type": "flag.raised",
        "timestamp": "1970-01-01T00:00:00Z",
        "data": {"flag": 1},
    }


def test_expiring_counts_whole_days_left() -> None:
    lic = a_license(valid_until=10 * 86400)
    assert webhooks.license_expiring(lic, 86400 * 3 + 5)["days_left"] == 6
