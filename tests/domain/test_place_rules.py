"""Known places: who may declare them, who sees which, and what a declaration must hold
(the domain's rules; the console's page and token API only apply them)."""

import pytest

from licmon.domain.access import Role
from licmon.domain.staff import StaffUser, check_declares_places, may_declare_places, sees_org
from licmon.domain.validation import place_fields
from licmon.errors import BadRequest, NotFound

ANALYST = StaffUser(1, "ana", frozenset({Role.ANALYST}))
SUPPORT = StaffUser(2, "sue", frozenset({Role.SUPPORT}))
CUSTOMER = StaffUser(3, "cus", frozenset({Role.CUSTOMER}), org_id=7)


def test_staff_who_decide_flags_declare_places_and_a_customer_never() -> None:
    assert may_declare_places(ANALYST)
    assert not may_declare_places(SUPPORT)
    assert not may_declare_places(CUSTOMER)
    check_declares_places(ANALYST)
    with pytest.raises(NotFound):
        check_declares_places(CUSTOMER)


def test_a_customer_sees_its_own_organization_only() -> None:
    assert sees_org(CUSTOMER, 7) and not sees_org(CUSTOMER, 8)
    assert sees_org(SUPPORT, 8)


def test_a_declaration_holds_strings_and_defaults_to_an_office() -> None:
    assert place_fields({"org": "acme", "network": "198.51.100.0/24"}) == {
        "org": "acme",
        "network": "198.51.100.0/24",
        "kind": "office",
        "label": "",
    }
    for wrong in ({"org": "acme"}, {"org": " ", "network": "x"}, {"org": "a", "network": "x",
                  "kind": 1}, {"org": "a", "network": "x", "why": "?"}, []):  # fmt: skip
        with pytest.raises(BadRequest):
            place_fields(wrong)
