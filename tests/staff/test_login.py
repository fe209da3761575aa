"""Login, the single-use challenge, sessions (cookie, expiry, revocation), CSRF, throttling
and lock-out, the attempt log, security headers."""

import logging
import re

import argon2
import pytest

from licmon.domain.logins import FAILURE_MESSAGE, STALE_FORM_MESSAGE
from licmon.domain.passwords import Passwords
from licmon.domain.staff import parse_roles
from licmon.store.sqlite import connect
from tests.dbutil import rows
from tests.staff.conftest import PASSWORD, StaffWorld

MESSAGE = re.compile(r'<p class="message" role="alert">([^<]*)</p>')


def db(world: StaffWorld, sql: str) -> list[tuple[object, ...]]:
    return rows(world.store.path, sql)  # type: ignore[attr-defined]


def message_of(html: str) -> str:
    found = MESSAGE.search(html)
    return found.group(1).replace("&#39;", "'") if found else ""


async def test_login_sets_a_strict_session_cookie_and_stores_only_its_hash(
    sworld: StaffWorld,
) -> None:
    await sworld.add_user("alice", "admin")
    browser = sworld.browser()
    response = await browser.submit_login("alice")
    assert response.status == 303 and response.headers["Location"] == "/staff/"
    cookie = response.headers["Set-Cookie"]
    for attribute in ("HttpOnly", "Secure", "SameSite=Strict", "Path=/staff"):
        assert attribute in cookie
    stored = db(sworld, "SELECT token_hash, csrf_token FROM staff_sessions")
    assert len(stored) == 1 and browser.cookie.encode() not in stored[0][0]
    assert (await browser.get("/staff/")).status == 200


async def test_pages_carry_security_headers(sworld: StaffWorld) -> None:
    await sworld.add_user("alice", "admin")
    browser = await sworld.logged_in("alice")
    for path in ("/staff/login", "/staff/", "/staff/nothing-here"):
        response = await browser.get(path)
        headers = response.headers
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"], path
        assert "script-src" not in headers["Content-Security-Policy"]  # default-src 'none'
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Cache-Control"] == "no-store"
    missing = await browser.get("/staff/nothing-here")
    assert missing.status == 404 and "text/html" in missing.headers["Content-Type"]
    api = await sworld.client.get("/staff/api/me")
    assert api.status == 401 and (await api.json())["error"] == "unauthorized"


async def test_a_replayed_or_stale_login_form_is_refused(sworld: StaffWorld) -> None:
    await sworld.add_user("alice", "admin")
    browser = sworld.browser()
    challenge = await browser.challenge()
    assert (await browser.submit_login("alice", challenge=challenge)).status == 303
    replay = await browser.submit_login("alice", challenge=challenge)
    assert replay.status == 400 and message_of(await replay.text()) == STALE_FORM_MESSAGE
    browser = sworld.browser()
    stale = await browser.challenge()
    sworld.clock.advance(601)
    assert (await browser.submit_login("alice", challenge=stale)).status == 400
    forged = challenge.rsplit(".", 1)[0] + ".AAAA"
    assert (await browser.submit_login("alice", challenge=forged)).status == 400
    outcomes = [r[0] for r in db(sworld, "SELECT outcome FROM login_attempts ORDER BY id")]
    assert outcomes == ["ok", "bad_form", "bad_form", "bad_form"]


async def test_every_failure_has_the_same_answer(sworld: StaffWorld) -> None:
    await sworld.add_user("alice", "admin")
    await sworld.add_user("bob", "analyst")
    await sworld.store.set_user_disabled("bob", True, actor="cli:t")
    answers = set()
    for username, password in (
        ("nobody", PASSWORD),
        ("alice", "wrong password!"),
        ("bob", PASSWORD),
    ):
        response = await sworld.browser().submit_login(username, password)
        answers.add((response.status, message_of(await response.text())))
    assert answers == {(401, FAILURE_MESSAGE)}


async def test_an_account_locks_after_repeated_failures_then_recovers(
    sworld: StaffWorld,
) -> None:
    await sworld.add_user("alice", "admin")
    for i in range(5):  # from five addresses: the account lock does not care
        browser = sworld.browser(f"198.51.100.{i + 1}")
        assert (await browser.submit_login("alice", "wrong password!")).status == 401
    locked = await sworld.browser("192.0.2.9").submit_login("alice")
    assert locked.status == 401 and message_of(await locked.text()) == FAILURE_MESSAGE
    sworld.clock.advance(901)
    assert (await sworld.browser("192.0.2.9").submit_login("alice")).status == 303
    outcomes = [r[0] for r in db(sworld, "SELECT outcome FROM login_attempts ORDER BY id")]
    assert outcomes == ["bad_credentials"] * 5 + ["locked", "ok"]


async def test_an_address_is_throttled_across_accounts(sworld: StaffWorld) -> None:
    await sworld.add_user("alice", "admin")
    spray = sworld.browser("198.51.100.77")
    for i in range(20):
        assert (await spray.submit_login(f"user{i}", "wrong password!")).status == 401
    blocked = await spray.submit_login("alice")
    assert blocked.status == 401 and message_of(await blocked.text()) == FAILURE_MESSAGE
    assert (await sworld.browser("198.51.100.78").submit_login("alice")).status == 303
    (throttled,) = db(sworld, "SELECT count(*) FROM login_attempts WHERE outcome = 'throttled'")
    assert throttled == (1,)


async def test_ipv6_addresses_are_throttled_per_64(sworld: StaffWorld) -> None:
    await sworld.add_user("alice", "admin")
    for i in range(20):
        browser = sworld.browser(f"2001:db8:1:2::{i + 1:x}")
        await browser.submit_login(f"user{i}", "wrong password!")
    assert (await sworld.browser("2001:db8:1:2::ffff").submit_login("alice")).status == 401
    assert (await sworld.browser("2001:db8:1:3::1").submit_login("alice")).status == 303


async def test_each_attempt_is_logged_with_its_address_for_security_authn(
    sworld: StaffWorld,
) -> None:
    await sworld.add_user("alice", "admin")
    await sworld.browser("198.51.100.5").submit_login("alice", "wrong password!")
    await sworld.browser("198.51.100.6").submit_login("alice")
    logged = db(sworld, "SELECT address, purpose, outcome, retain_until FROM login_attempts")
    assert [(r[0], r[1], r[2]) for r in logged] == [
        ("198.51.100.5", "security.authn", "bad_credentials"),
        ("198.51.100.6", "security.authn", "ok"),
    ]
    assert all(int(str(r[3])) <= sworld.clock.now + 31 * 86400 for r in logged)
    # Every connection licmon opens reads the address as NULL (only the gateway may read it).
    attempts = await sworld.store.login_attempts()
    assert "address" not in attempts[0] and attempts[0]["username"] == "alice"
    conn = connect(sworld.store.path)  # type: ignore[attr-defined]
    try:
        assert conn.execute("SELECT address FROM login_attempts").fetchall() == [(None,), (None,)]
    finally:
        conn.close()


async def test_the_retention_job_deletes_expired_login_attempts(sworld: StaffWorld) -> None:
    await sworld.add_user("alice", "admin")
    await sworld.browser().submit_login("alice", "wrong password!")
    await sworld.store.run_retention()
    assert db(sworld, "SELECT count(*) FROM login_attempts") == [(1,)]
    sworld.clock.advance(32 * 86400)
    await sworld.store.run_retention()
    assert db(sworld, "SELECT count(*) FROM login_attempts") == [(0,)]


async def test_an_idle_session_ends(sworld: StaffWorld) -> None:
    await sworld.add_user("alice", "admin")
    browser = await sworld.logged_in("alice")
    sworld.clock.advance(1700)
    assert (await browser.get("/staff/")).status == 200  # activity keeps it alive
    sworld.clock.advance(1700)
    assert (await browser.get("/staff/")).status == 200
    sworld.clock.advance(1801)
    response = await browser.get("/staff/")
    assert response.status == 303 and response.headers["Location"] == "/staff/login"


async def test_a_session_ends_at_its_absolute_limit(sworld: StaffWorld) -> None:
    await sworld.add_user("alice", "admin")
    browser = await sworld.logged_in("alice")
    for _ in range(43200 // 1500):
        sworld.clock.advance(1500)
        await browser.get("/staff/licenses")
    sworld.clock.advance(1500)
    assert (await browser.get("/staff/licenses")).status == 303


async def test_logout_and_password_change_end_sessions(sworld: StaffWorld) -> None:
    await sworld.add_user("alice", "admin")
    first = await sworld.logged_in("alice")
    second = await sworld.logged_in("alice")
    assert (await first.post("/staff/logout")).status == 303
    assert (await first.get("/staff/")).status == 303
    assert (await second.get("/staff/")).status == 200
    await sworld.store.set_user_password("alice", Passwords().hash("a new password 2"), actor="x")
    assert (await second.get("/staff/")).status == 303
    reasons = db(sworld, "SELECT revoked_reason FROM staff_sessions ORDER BY id")
    assert reasons == [("logout",), ("password_changed",)]


async def test_disabling_an_account_ends_its_sessions(sworld: StaffWorld) -> None:
    await sworld.add_user("alice", "admin")
    await sworld.add_user("bob", "admin")
    alice = await sworld.logged_in("alice")
    bob = await sworld.logged_in("bob")
    response = await alice.post(f"/staff/users/{sworld.users['bob'].id}/disable")
    assert response.status == 303
    assert (await bob.get("/staff/")).status == 303
    assert (await alice.post(f"/staff/users/{sworld.users['alice'].id}/disable")).status == 400


async def test_state_changes_need_the_csrf_token(sworld: StaffWorld) -> None:
    await sworld.add_user("alice", "admin")
    browser = await sworld.logged_in("alice")
    hold = {"scope": "org", "ref": "acme", "reason": "court order", "citation": "case 1"}
    assert (await browser.post("/staff/holds", hold, csrf=False)).status == 403
    wrong = await browser.client.post(
        "/staff/holds", data={**hold, "csrf": "not-the-token"}, headers=browser.headers()
    )
    assert wrong.status == 403
    cross = await browser.client.post(
        "/staff/holds",
        data={**hold, "csrf": browser.csrf},
        headers={**browser.headers(), "Origin": "https://evil.example"},
        allow_redirects=False,
    )
    assert cross.status == 403
    assert (await browser.post("/staff/logout", csrf=False)).status == 403
    assert await sworld.store.list_holds() == []
    assert (await browser.post("/staff/holds", hold)).status == 303
    assert len(await sworld.store.list_holds()) == 1


async def test_login_rehashes_when_the_parameters_change(sworld: StaffWorld) -> None:
    old = argon2.PasswordHasher(time_cost=2, memory_cost=64, parallelism=1)
    await sworld.store.add_user(
        "alice", old.hash(PASSWORD), parse_roles("admin"), None, actor="cli:t"
    )
    (before,) = db(sworld, "SELECT password_hash FROM staff_users")
    assert (await sworld.browser().submit_login("alice")).status == 303
    (after,) = db(sworld, "SELECT password_hash FROM staff_users")
    assert before != after and "t=1" in str(after[0]) and "t=2" in str(before[0])
    actions = [r[0] for r in db(sworld, "SELECT action FROM audit")]
    assert "user.rehash" in actions and "session.login" in actions


async def test_no_password_token_or_address_reaches_logs_or_the_audit_log(
    sworld: StaffWorld, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await sworld.add_user("alice", "admin")
    browser = sworld.browser("198.51.100.99")
    await browser.submit_login("alice", "wrong password!")
    await browser.login("alice")
    audit = str(db(sworld, "SELECT * FROM audit"))
    logs = caplog.text + "".join(str(r.__dict__) for r in caplog.records)
    for secret in (PASSWORD, "wrong password!", browser.cookie, browser.csrf, "198.51.100.99"):
        assert secret not in logs and secret not in audit, secret


async def test_a_login_form_posted_from_another_site_is_refused(sworld: StaffWorld) -> None:
    await sworld.add_user("alice", "admin")
    browser = sworld.browser()
    form = {"username": "alice", "password": PASSWORD, "challenge": await browser.challenge()}
    forged = await sworld.client.post(
        "/staff/login",
        data=form,
        headers={"Sec-Fetch-Site": "cross-site", "X-Forwarded-For": browser.address},
        allow_redirects=False,
    )
    assert forged.status == 403 and "licmon_session" not in forged.cookies
