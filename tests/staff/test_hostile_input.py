"""What anyone can send the console: non-ASCII challenges and CSRF tokens, ids that are not
ids (Unicode digits, numbers past SQLite's INTEGER), forms from an opaque origin. Each gets
its ordinary 4xx answer, never a 500 with a logged traceback."""

import dataclasses
import logging
from collections.abc import Callable
from typing import Any

import pytest

from licmon.config import Settings
from licmon.domain.detectors.events import FlagKind
from licmon.domain.models import LicenseStatus
from tests.conftest import FakeClock
from tests.staff.conftest import PASSWORD, StaffWorld, make_staff_world
from tests.staff.fixtures import build_scene, raise_flag

HUGE = "99999999999999999999"  # past 2**63 - 1: SQLite raises OverflowError on it


def no_errors_logged(caplog: pytest.LogCaptureFixture) -> None:
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]


async def test_a_non_ascii_login_challenge_is_a_stale_form(
    sworld: StaffWorld, caplog: pytest.LogCaptureFixture
) -> None:
    await sworld.add_user("alice", "admin")
    browser = sworld.browser()
    for challenge in ("é", "a.1.é", "²." + "x" * 10 + ".y", "a.².b"):
        response = await browser.submit_login("alice", PASSWORD, challenge)
        assert response.status == 400, challenge
        assert "licmon_session" not in response.cookies
    no_errors_logged(caplog)


async def test_a_non_ascii_csrf_token_is_refused(
    sworld: StaffWorld, caplog: pytest.LogCaptureFixture
) -> None:
    await sworld.add_user("alice", "admin")
    browser = await sworld.logged_in("alice")
    hold = {"scope": "org", "ref": "acme", "reason": "court order", "citation": "case 1"}
    response = await browser.client.post(
        "/staff/holds", data={**hold, "csrf": "jeton-é"}, headers=browser.headers()
    )
    assert response.status == 403
    assert await sworld.store.list_holds() == []
    no_errors_logged(caplog)


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/staff/licenses/%C2%B2", 404),  # '²'.isdigit(), int('²') fails
        ("GET", "/staff/licenses/%D9%A3", 404),  # an Arabic-Indic 3: not an id here
        ("GET", f"/staff/licenses/{HUGE}", 404),
        ("GET", "/staff/licenses/0", 404),
        ("GET", "/staff/flags/%C2%B2", 404),
        ("GET", f"/staff/flags/{HUGE}", 404),
        ("GET", "/staff/flags?license=%C2%B2", 400),
        ("GET", f"/staff/flags?license={HUGE}", 400),
        ("GET", "/staff/flags?license=abc", 400),
        ("POST", "/staff/flags/%C2%B2/decide", 404),
        ("POST", f"/staff/flags/{HUGE}/evidence", 404),
        ("POST", f"/staff/licenses/{HUGE}/addresses", 404),
        ("POST", f"/staff/users/{HUGE}/disable", 404),
        ("POST", "/staff/users/%D9%A3/disable", 404),
        ("POST", f"/staff/holds/{HUGE}/release", 404),
        ("POST", "/staff/holds/%C2%B2/release", 404),
    ],
)
async def test_ids_that_are_not_ids_are_not_found(
    sworld: StaffWorld, caplog: pytest.LogCaptureFixture, method: str, path: str, status: int
) -> None:
    await sworld.add_user("alice", "admin")
    browser = await sworld.logged_in("alice")
    response = await (browser.get(path) if method == "GET" else browser.post(path, {}))
    assert response.status == status, await response.text()
    assert "text/html" in response.headers["Content-Type"]
    no_errors_logged(caplog)


async def test_the_api_refuses_ids_that_are_not_ids(
    sworld: StaffWorld, caplog: pytest.LogCaptureFixture
) -> None:
    scene = await build_scene(sworld)
    headers = {"Authorization": f"Bearer {scene.tokens['admin']}"}
    for text in ("%C2%B2", HUGE):
        response = await sworld.client.get(f"/staff/api/licenses/{text}", headers=headers)
        assert response.status == 404
        assert (await response.json())["error"] == "not_found"
    no_errors_logged(caplog)


async def test_the_license_filter_still_filters(sworld: StaffWorld) -> None:
    scene = await build_scene(sworld)
    analyst = await scene.browser("analyst")
    page = await (await analyst.get(f"/staff/flags?license={scene.globex_license}")).text()
    assert page.count('href="/staff/flags/') == 1
    everything = await (await analyst.get("/staff/flags?license=")).text()
    assert everything.count('href="/staff/flags/') == len(scene.acme_flags) + 2


async def test_a_form_from_an_opaque_origin_is_refused(sworld: StaffWorld) -> None:
    """``Origin: null`` is what sandboxed frames and some redirects send: not our site."""
    await sworld.add_user("alice", "admin")
    browser = await sworld.logged_in("alice")
    hold = {"scope": "org", "ref": "acme", "reason": "court order", "citation": "case 1"}
    forged = await browser.client.post(
        "/staff/holds",
        data={**hold, "csrf": browser.csrf},
        headers={**browser.headers(), "Origin": "null"},
        allow_redirects=False,
    )
    assert forged.status == 403
    assert await sworld.store.list_holds() == []
    challenge = await sworld.browser().challenge()
    form = {"username": "alice", "password": PASSWORD, "challenge": challenge}
    login = await sworld.client.post(
        "/staff/login",
        data=form,
        headers={"Origin": "null", "X-Forwarded-For": browser.address},
        allow_redirects=False,
    )
    assert login.status == 403 and "licmon_session" not in login.cookies
    same_site = await browser.client.post(
        "/staff/holds",
        data={**hold, "csrf": browser.csrf},
        headers={**browser.headers(), "Origin": str(browser.client.make_url("")).rstrip("/")},
        allow_redirects=False,
    )
    assert same_site.status == 303


async def test_a_customer_sees_only_its_own_flag_kinds(sworld: StaffWorld) -> None:
    scene = await build_scene(sworld)
    await raise_flag(sworld, scene.globex_license, FlagKind.REPLAYED_NONCE)
    acme = await scene.browser("customer")
    page = await (await acme.get("/staff/flags")).text()
    assert "replayed_nonce" not in page
    globex = await scene.browser("globex-customer")
    assert "<option>replayed_nonce</option>" in await (await globex.get("/staff/flags")).text()
    analyst = await scene.browser("analyst")
    assert "<option>replayed_nonce</option>" in await (await analyst.get("/staff/flags")).text()


async def test_confirming_in_the_console_follows_the_setting_or_the_checkbox(
    sworld: StaffWorld,
) -> None:
    scene = await build_scene(sworld)
    analyst = await scene.browser("analyst")
    flag = scene.acme_flags[1]
    await analyst.post(f"/staff/flags/{flag}/decide", {"status": "confirmed", "reason": "seen"})
    lic = await sworld.store.get_license(scene.acme_license)
    assert lic.status is LicenseStatus.ACTIVE  # setting off, not asked
    flag = scene.acme_flags[2]
    form = {"status": "confirmed", "reason": "seen", "suspend": "1"}
    assert (await analyst.post(f"/staff/flags/{flag}/decide", form)).status == 303
    lic = await sworld.store.get_license(scene.acme_license)
    assert lic.status is LicenseStatus.SUSPENDED  # asked for


async def test_with_suspend_on_confirm_the_console_always_suspends(
    make_client: Callable[..., Any], staff_settings: Settings, clock: FakeClock
) -> None:
    """The same rule as ``licmon flags confirm``: the setting wins over an unticked box."""
    settings = dataclasses.replace(staff_settings, suspend_on_confirm=True)
    scene = await build_scene(await make_staff_world(make_client, settings, clock))
    analyst = await scene.browser("analyst")
    page = await (await analyst.get(f"/staff/flags/{scene.acme_flags[0]}")).text()
    assert "suspend_on_confirm" in page  # the form says what confirming will do
    form = {"status": "confirmed", "reason": "clear overuse"}
    assert (await analyst.post(f"/staff/flags/{scene.acme_flags[0]}/decide", form)).status == 303
    lic = await scene.world.store.get_license(scene.acme_license)
    assert lic.status is LicenseStatus.SUSPENDED
