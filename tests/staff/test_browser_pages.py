"""The main pages of each role in the real Chromium, at 1366 and 768 px wide: nothing
overflows sideways, the lists page and search, the report draws its charts, the audit
log filters, and a DSR erase asks a second time. Screenshots are kept in the test's
directory for a person to look at."""

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from licmon.domain import license_keys
from licmon.domain.models import LicenseTerms
from licmon.domain.passwords import Passwords
from licmon.domain.staff import parse_roles
from licmon.store.sqlite import SqliteStore
from tests import serverproc
from tests.staff.conftest import PASSWORD
from tests.staff.test_browser import CHROMIUM, DRIVER, By, checkin, seed, shows
from tests.staff.test_browser import browser as browser  # noqa: PLC0414 - the fixture

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (CHROMIUM and DRIVER), reason="needs chromium and chromedriver"),
]
WIDTHS = (1366, 768)
MORE_LICENSES = 130


def _more(data_dir: Path) -> None:
    async def run() -> None:
        store = SqliteStore(data_dir / "licmon.db")
        await store.open()
        for _ in range(MORE_LICENSES):
            digest = license_keys.key_hash(b"p" * 32, license_keys.generate())
            await store.add_license("acme", "viewer", LicenseTerms(3, 6), digest)
        digest = Passwords().hash(PASSWORD)
        await store.add_user("ada", digest, parse_roles("admin"), None, actor="cli:test")
        await store.close()

    asyncio.run(run())


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, int]]:
    # the admin's second factor has tests of its own (tests/staff/test_second_factor.py)
    monkeypatch.setenv("LICMON_STAFF_SECOND_FACTOR_REQUIRED", "false")
    data_dir = tmp_path / "data"
    flag_id, keys = seed(data_dir)
    _more(data_dir)
    port = serverproc.free_port()
    proc = serverproc.start(data_dir, port)
    for i in range(3):
        checkin(port, keys[0], "viewer", f"browser-pages-{i:04d}")
    try:
        yield f"http://127.0.0.1:{port}", flag_id
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def _login(browser: Any, base: str, username: str) -> None:
    browser.get(f"{base}/staff/login")
    browser.find_element(By.NAME, "username").send_keys(username)
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "form button").click()
    shows(browser, "Log out")


def _check_widths(browser: Any, name: str) -> None:
    for width in WIDTHS:
        browser.set_window_size(width, 900)
        inner = browser.execute_script("return window.innerWidth")
        wide = browser.execute_script("return document.documentElement.scrollWidth")
        shot = browser.downloads.parent / f"{name}-{width}.png"
        assert browser.save_screenshot(str(shot))
        assert wide <= inner, f"{name} at {width} px: {wide} px wide in a {inner} px window"


def test_admin_pages_fit_and_work(server: tuple[str, int], browser: Any) -> None:
    base, flag_id = server
    _login(browser, base, "ada")
    _check_widths(browser, "dashboard")

    browser.get(f"{base}/staff/licenses")
    shows(browser, f"showing 1-100 of {MORE_LICENSES + 2}")
    _check_widths(browser, "licenses")
    browser.find_element(By.CSS_SELECTOR, 'a[rel="next"]').click()
    shows(browser, f"showing 101-{MORE_LICENSES + 2} of {MORE_LICENSES + 2}")
    search = browser.find_element(By.NAME, "q")
    search.clear()
    search.send_keys("#2")
    browser.find_element(By.XPATH, "//button[text()='Search']").click()
    shows(browser, "showing 1-1 of 1")

    browser.get(f"{base}/staff/licenses/1")
    shows(browser, "License")
    _check_widths(browser, "license")

    browser.get(f"{base}/staff/flags/{flag_id}")
    shows(browser, "seat_overuse")
    _check_widths(browser, "flag")

    browser.get(f"{base}/staff/reports/abuse")
    shows(browser, "License #1")
    charts = browser.find_elements(By.CSS_SELECTOR, ".report-charts svg.chart")
    assert len(charts) >= 2 and all(c.size["width"] > 100 for c in charts)
    _check_widths(browser, "report")

    browser.get(f"{base}/staff/audit?action=license.add")
    shows(browser, f"of {MORE_LICENSES + 2}")
    _check_widths(browser, "audit")

    browser.get(f"{base}/staff/dsr")
    browser.find_element(By.CSS_SELECTOR, "select[name=action] option[value=erase]").click()
    browser.find_element(By.NAME, "value").send_keys("2")
    browser.find_element(By.NAME, "justification").send_keys("request DSR-2026-9")
    browser.find_element(By.XPATH, "//button[text()='Run for purpose dsr']").click()
    shows(browser, "Yes, erase license 2")
    _check_widths(browser, "dsr-confirm")
    browser.find_element(By.XPATH, "//button[text()='Yes, erase license 2']").click()
    shows(browser, "Receipt")
    shows(browser, "Download the receipt")
    _check_widths(browser, "dsr-receipt")

    browser.get(f"{base}/staff/places")
    browser.find_element(By.NAME, "network").send_keys("203.0.113.0/24")
    browser.find_element(By.NAME, "label").send_keys("Head office VPN egress")
    browser.find_element(By.XPATH, "//button[text()='Declare']").click()
    shows(browser, "Head office VPN egress")
    _check_widths(browser, "places")
