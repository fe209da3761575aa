"""License terms taken generically from ``LicenseTerms`` (the admin API's PATCH and create)."""

import dataclasses
import enum

import pytest

from licmon.domain import terms
from licmon.domain.models import LicenseTerms
from licmon.errors import BadRequest


def test_every_field_of_the_terms_has_a_json_form() -> None:
    assert set(terms.TERM_FIELDS) == {f.name for f in dataclasses.fields(LicenseTerms)}


def test_a_view_parses_back_to_the_same_terms() -> None:
    original = LicenseTerms(
        seats=3,
        max_machines=9,
        valid_from=1_800_000_000,
        valid_until=1_900_000_000,
        allowed_countries=frozenset({"DE", "FR"}),
        entitlements=("export", "cloud"),
        max_borrow_days=5,
        locked_machines=frozenset({"machine-0001"}),
    )
    view = terms.terms_view(original)
    assert view["valid_until"] == "2030-03-17T17:46:40Z" and view["entitlements"] == [
        "export",
        "cloud",
    ]
    assert terms.new_terms(terms.parse_terms(view)) == original


@pytest.mark.parametrize(
    "change",
    [
        {"seats": True},
        {"seats": 0},
        {"lease_seconds": 10},
        {"valid_until": 5},
        {"valid_until": "tomorrow"},
        {"allowed_countries": "DE"},
        {"allowed_countries": ["de"]},
        {"locked_machines": ["short"]},
        {"entitlements": ["has space"]},
    ],
)
def test_wrong_values_are_refused_with_the_field_named(change: dict[str, object]) -> None:
    with pytest.raises(BadRequest) as refused:
        terms.parse_terms(change)
    assert next(iter(change)) in refused.value.message


def test_a_field_added_later_comes_along_whatever_its_type() -> None:
    class Model(enum.StrEnum):
        FLOATING = "floating"
        NODE = "node"

    for hint, good, bad in [
        (int, 7, "7"),
        (bool, True, 1),
        (str, "text", 5),
        (tuple[str, ...], ["a", "b"], [1]),
        (Model, "node", "other"),
        (Model | None, None, "other"),
    ]:
        spec = terms._field_of("added", hint)
        assert terms._value(spec, {"added": good}) is not None or good is None
        with pytest.raises(BadRequest):
            terms._value(spec, {"added": bad})
