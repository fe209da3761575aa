"""TOTP second factor: enrolment from the console, login with a wrong, a right and a
reused code, recovery codes used once, admins sent to enrol first, every step audited."""

import dataclasses
import re
import sqlite3
from collections.abc import Callable
from typing import Any

import pyotp

from licmon.config import Settings
from licmon.domain.totp import STEP_SECONDS
from tests.conftest import FakeClock
from tests.staff.conftest import PASSWORD, Browser, StaffWorld, make_staff_world
from tests.staff.test_login import db

SECRET = re.compile(r"Key: <code>([A-Z2-7]+)</code>")
RECOVERY = re.compile(r"<li><code>([A-Z2-7-]+)</code></li>")


async def login_with_code(world: StaffWorld, code: str) -> int:
    browser = world.browser()
    form = {
        "username": "alice",
        "password": PASSWORD,
        "challenge": await browser.challenge(),
        "code": code,
    }
    response = await world.client.post(
        "/staff/login", data=form, headers=browser.headers(), allow_redirects=False
    )
    return response.status


async def enrol(world: StaffWorld, browser: Browser) -> tuple[str, list[str]]:
    page = await browser.get("/staff/account/second-factor")
    found = SECRET.search(await page.text())
    assert page.status == 200 and found
    secret = found.group(1)
    wrong = await browser.post("/staff/account/second-factor", {"code": "000000"})
    assert wrong.status == 400
    code = pyotp.TOTP(secret).at(int(world.clock.now))
    done = await browser.post("/staff/account/second-factor", {"code": code})
    assert done.status == 200
    return secret, RECOVERY.findall(await done.text())


async def test_enrol_then_log_in_with_a_wrong_a_right_and_a_reused_code(
    make_client: Callable[..., Any], staff_settings: Settings, clock: FakeClock
) -> None:
    settings = dataclasses.replace(staff_settings, staff_second_factor_required=True)
    world = await make_staff_world(make_client, settings, clock)
    await world.add_user("alice", "admin")
    browser = world.browser()
    assert (await browser.submit_login("alice")).status == 303
    landing = await browser.get("/staff/")  # an admin without a second factor must enrol
    assert landing.status == 303
    assert landing.headers["Location"] == "/staff/account/second-factor"
    secret, recovery = await enrol(world, browser)
    assert len(recovery) == 10 and len(set(recovery)) == 10
    assert (await browser.get("/staff/")).status == 200
    clock.advance(3 * STEP_SECONDS)
    assert await login_with_code(world, "") == 401  # the password alone is not enough now
    assert await login_with_code(world, "123456") == 401
    code = pyotp.TOTP(secret).at(int(clock.now))
    assert await login_with_code(world, code) == 303
    assert await login_with_code(world, code) == 401  # the same code, within its window
    clock.advance(STEP_SECONDS)
    assert await login_with_code(world, pyotp.TOTP(secret).at(int(clock.now))) == 303
    assert await login_with_code(world, recovery[0].lower()) == 303
    assert await login_with_code(world, recovery[0]) == 401  # a recovery code works once
    outcomes = [r[0] for r in db(world, "SELECT outcome FROM login_attempts ORDER BY id")]
    assert outcomes == ["ok", "bad_code", "bad_code", "ok", "bad_code", "ok", "ok", "bad_code"]
    actions = [r[0] for r in db(world, "SELECT action FROM audit WHERE action LIKE 'totp.%'")]
    assert actions == ["totp.enrol_start", "totp.enrol_confirm", "totp.recovery_used"]
    stored = str(db(world, "SELECT * FROM staff_recovery_codes"))
    assert all(code not in stored for code in recovery)
    assert secret not in str(db(world, "SELECT * FROM audit"))


async def test_the_second_factor_goes_with_the_account(sworld: StaffWorld) -> None:
    alice = await sworld.add_user("alice", "analyst")
    await sworld.store.start_totp_enrolment(alice.id, pyotp.random_base32(), actor="cli:t")
    await sworld.store.confirm_totp_enrolment(alice.id, 1, [b"x" * 32], actor="cli:t")
    conn_rows = db(sworld, "SELECT count(*) FROM staff_totp")
    assert conn_rows == [(1,)]
    conn = sqlite3.connect(sworld.store.path)  # type: ignore[attr-defined]
    try:
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("DELETE FROM login_attempts WHERE user_id = ?", (alice.id,))
        conn.execute("DELETE FROM staff_users WHERE id = ?", (alice.id,))
        conn.commit()
        left = [
            conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("staff_totp", "staff_recovery_codes", "staff_devices")
        ]
    finally:
        conn.close()
    assert left == [0, 0, 0]
