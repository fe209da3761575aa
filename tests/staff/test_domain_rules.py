"""The staff console's rules, without a server or a clock: roles and scope, sessions, the
login challenge, throttling and lock-out decisions, passwords, chart geometry."""

import ipaddress

import argon2
import pytest

from licmon.domain import challenge
from licmon.domain.access import Role
from licmon.domain.flags import FlagStatus, suspends_license
from licmon.domain.ids import MAX_ID, parse_id
from licmon.domain.logins import (
    AddressThrottle,
    LoginFacts,
    LoginOutcome,
    LoginPolicy,
    decide,
    throttle_key,
)
from licmon.domain.passwords import Passwords, check_policy
from licmon.domain.purposes import ABUSE, DSR, LEGAL_HOLD
from licmon.domain.sessions import (
    SessionRecord,
    SessionState,
    csrf_matches,
    needs_touch,
    session_state,
)
from licmon.domain.staff import (
    Permission,
    StaffUser,
    check_disable,
    check_roles_and_org,
    check_scope,
    parse_roles,
    require,
)
from licmon.errors import BadRequest, Forbidden, NotFound
from licmon.web.console import charts

P = Permission
# DESIGN.md, "Staff console and roles", one column at a time.
TABLE = {
    Role.ADMIN: {
        P.LICENSES,
        P.FLAGS,
        P.FLAG_EVIDENCE,
        P.FLAG_ACTIONS,
        P.REPORTS,
        P.REPORT_DETAILS,
        P.AUDIT,
        P.DSR,
        P.HOLDS,
        P.USERS,
        P.ORG_DATA,
        P.CATALOG,  # the admin API issues licenses and changes terms (issue 18)
        P.DEACTIVATE,
        P.LOCK_MOVES,
    },
    Role.ANALYST: {
        P.DEACTIVATE,
        P.LICENSES,
        P.FLAGS,
        P.FLAG_EVIDENCE,
        P.FLAG_ACTIONS,
        P.REPORTS,
        P.REPORT_DETAILS,
        P.LOCK_MOVES,
    },
    Role.SUPPORT: {P.LICENSES, P.FLAGS, P.REPORTS, P.DEACTIVATE},
    Role.DPO: {P.AUDIT, P.DSR, P.HOLDS, P.ORG_DATA},
    Role.CUSTOMER: {
        P.LICENSES,
        P.FLAGS,
        P.REPORTS,
        P.OWN_ORG,
        P.ORG_DATA,
        P.DEACTIVATE,
        P.LOCK_MOVES,
    },
}
ADDRESS_PURPOSES = {
    Role.ADMIN: [DSR, ABUSE],
    Role.ANALYST: [ABUSE],
    Role.SUPPORT: [],
    Role.DPO: [DSR, LEGAL_HOLD],
    Role.CUSTOMER: [],
}


def user(*roles: Role, org: int | None = None, disabled: bool = False) -> StaffUser:
    return StaffUser(1, "u", frozenset(roles), org, disabled)


@pytest.mark.parametrize("role", list(TABLE))
def test_each_role_has_exactly_the_designed_rights(role: Role) -> None:
    assert user(role).permissions == TABLE[role]
    assert user(role).purposes() == sorted(ADDRESS_PURPOSES[role])


def test_roles_combine_and_a_disabled_account_may_nothing() -> None:
    both = user(Role.ANALYST, Role.DPO)
    assert both.may(P.AUDIT) and both.may(P.FLAG_ACTIONS)
    assert both.role_for(ABUSE) is Role.ANALYST and both.role_for(LEGAL_HOLD) is Role.DPO
    assert not user(Role.ADMIN, disabled=True).may(P.LICENSES)
    with pytest.raises(Forbidden):
        require(user(Role.SUPPORT), P.FLAG_EVIDENCE)


def test_a_customer_sees_its_organization_only() -> None:
    check_scope(user(Role.CUSTOMER, org=7), 7)
    check_scope(user(Role.ANALYST), 8)
    with pytest.raises(NotFound):
        check_scope(user(Role.CUSTOMER, org=7), 8)


def test_role_and_organization_rules() -> None:
    assert parse_roles("Admin, dpo") == {Role.ADMIN, Role.DPO}
    for bad in ("operator", "system", "", "admin,root"):
        with pytest.raises(BadRequest):
            parse_roles(bad)
    check_roles_and_org(frozenset({Role.CUSTOMER}), 3)
    for roles, org in (({Role.CUSTOMER}, None), ({Role.ADMIN}, 3), ({Role.CUSTOMER, Role.DPO}, 3)):
        with pytest.raises(BadRequest):
            check_roles_and_org(frozenset(roles), org)


def test_session_states() -> None:
    record = SessionRecord(1, 1, "c", created_at=0, last_seen=100, expires_at=1000)
    assert session_state(record, 200, idle_seconds=300) is SessionState.ACTIVE
    assert session_state(record, 401, idle_seconds=300) is SessionState.IDLE
    assert session_state(record, 1000, idle_seconds=5000) is SessionState.EXPIRED
    revoked = SessionRecord(1, 1, "c", 0, 100, 1000, revoked_at=150)
    assert session_state(revoked, 120, idle_seconds=300) is SessionState.REVOKED
    assert not needs_touch(record, 159) and needs_touch(record, 160)


def test_the_login_challenge() -> None:
    key = challenge.challenge_key(b"pepper")
    token = challenge.issue(key, 1000)
    found = challenge.verify(key, token, 1500, ttl=600)
    assert found is not None and found.expires_at(600) == 1600
    assert challenge.verify(key, token, 1601, ttl=600) is None  # stale
    assert challenge.verify(key, token, 990, ttl=600) is None  # from the future
    assert challenge.verify(challenge.challenge_key(b"other"), token, 1000, 600) is None
    nonce, issued, signature = token.split(".")
    assert challenge.verify(key, f"{nonce}.{int(issued) + 1}.{signature}", 1000, 600) is None
    assert challenge.verify(key, "garbage", 1000, 600) is None
    for hostile in ("é", f"{nonce}.{issued}.{signature[:-1]}é", f"{nonce}.²{issued}.{signature}"):
        assert challenge.verify(key, hostile, 1000, 600) is None


def test_csrf_tokens_compare_as_bytes() -> None:
    record = SessionRecord(1, 1, "the-token", 0, 100, 1000)
    assert csrf_matches(record, "the-token")
    assert not csrf_matches(record, "") and not csrf_matches(record, "the-tokeN")
    assert not csrf_matches(record, "the-tokén") and not csrf_matches(record, "²")


@pytest.mark.parametrize("text", ["1", "42", "0042", str(MAX_ID)])
def test_ids_are_ascii_digits_within_sqlite_integers(text: str) -> None:
    assert parse_id(text) == int(text)


@pytest.mark.parametrize(
    "text", ["", "0", "-1", "+1", " 1", "1.0", "²", "٣", "1²", str(MAX_ID + 1), "9" * 5000]
)
def test_anything_else_is_not_an_id(text: str) -> None:
    with pytest.raises(NotFound):
        parse_id(text)
    with pytest.raises(BadRequest):
        parse_id(text, BadRequest)


@pytest.mark.parametrize(
    ("target", "setting", "asked", "suspends"),
    [
        (FlagStatus.CONFIRMED, False, False, False),
        (FlagStatus.CONFIRMED, True, False, True),
        (FlagStatus.CONFIRMED, False, True, True),
        (FlagStatus.CONFIRMED, True, True, True),
        (FlagStatus.ACKNOWLEDGED, True, True, False),
        (FlagStatus.DISMISSED, True, True, False),
    ],
)
def test_confirming_suspends_when_the_setting_is_on_or_when_asked(
    target: FlagStatus, setting: bool, asked: bool, suspends: bool
) -> None:
    assert suspends_license(target, setting=setting, asked=asked) is suspends


def test_nobody_disables_their_own_account() -> None:
    me, other = user(Role.ADMIN), StaffUser(2, "v", frozenset({Role.ADMIN}))
    with pytest.raises(BadRequest, match="your own account"):
        check_disable(me.actor, me, disable=True)
    check_disable(me.actor, other, disable=True)
    check_disable(me.actor, me, disable=False)
    check_disable("cli:root", me, disable=True)  # the operator is not an account


POLICY = LoginPolicy(account_max_failures=3, address_max_failures=5, window_seconds=60)


@pytest.mark.parametrize(
    ("facts", "outcome"),
    [
        (LoginFacts(False, False, user(Role.ADMIN), 0, True), LoginOutcome.BAD_FORM),
        (LoginFacts(True, True, user(Role.ADMIN), 0, True), LoginOutcome.THROTTLED),
        (LoginFacts(True, False, user(Role.ADMIN), 3, True), LoginOutcome.LOCKED),
        (LoginFacts(True, False, None, 0, False), LoginOutcome.BAD_CREDENTIALS),
        (LoginFacts(True, False, user(Role.ADMIN), 2, False), LoginOutcome.BAD_CREDENTIALS),
        (LoginFacts(True, False, user(Role.ADMIN, disabled=True), 0, True), LoginOutcome.DISABLED),
        (LoginFacts(True, False, user(Role.ADMIN), 2, True), LoginOutcome.OK),
    ],
)
def test_login_decisions(facts: LoginFacts, outcome: LoginOutcome) -> None:
    assert decide(facts, POLICY) is outcome


def test_the_address_throttle_is_bounded_and_forgets() -> None:
    throttle = AddressThrottle(max_failures=2, window_seconds=60, capacity=3)
    throttle.failed("a", 0)
    assert not throttle.blocked("a", 1)
    throttle.failed("a", 1)
    assert throttle.blocked("a", 2) and not throttle.blocked("a", 61)
    for key in "bcde":
        throttle.failed(key, 70)
    assert len(throttle) == 3


def test_throttle_keys() -> None:
    assert throttle_key(ipaddress.ip_address("198.51.100.7")) == "198.51.100.7"
    assert throttle_key(ipaddress.ip_address("2001:db8:1:2::99")) == "2001:db8:1:2::/64"
    assert throttle_key(ipaddress.ip_address("::ffff:198.51.100.7")) == "198.51.100.7"


def test_passwords_are_argon2id_and_rehashed_when_parameters_change() -> None:
    weak = Passwords(argon2.PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))
    strong = Passwords(argon2.PasswordHasher(time_cost=2, memory_cost=64, parallelism=1))
    stored = weak.hash("a long password")
    assert stored.startswith("$argon2id$")
    assert weak.verify(stored, "a long password") and not weak.verify(stored, "wrong")
    assert not weak.verify(None, "a long password")  # no account: checked against a dummy
    assert not weak.needs_rehash(stored) and strong.needs_rehash(stored)
    with pytest.raises(BadRequest):
        check_policy("short", "bob")
    with pytest.raises(BadRequest):
        check_policy("bob-is-my-password", "bob")


def test_chart_geometry() -> None:
    points = charts.hourly({7200: 4, 10800: 2}, end=10900, hours=3)
    assert [value for _, value in points] == [0, 4, 2]
    chart = charts.bar_chart(points, width=340, height=126, line=8)
    assert chart.top == 8 and chart.bars[1].height == pytest.approx(2 * chart.bars[2].height)
    assert chart.bars[0].height == 0 and chart.line_y is not None
    (meter,) = charts.meters([("viewer", 12, 10)])
    assert meter.over and meter.width == charts.METER_WIDTH
