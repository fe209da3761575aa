"""A real browser against a real server: headless Chromium (Debian's chromium and
chromium-driver, driven by selenium without Selenium Manager) logs in over plain http on
127.0.0.1 — a secure context, so the ``Secure`` session cookie is kept —, looks at the
dashboard, opens a flag and exports the abuse report."""

import asyncio
import json
import shutil
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from licmon.datadir import DataDir
from licmon.domain import license_keys
from licmon.domain.detectors.events import FlagDraft, FlagKind, Severity
from licmon.domain.flags import FlagRaise
from licmon.domain.models import IpPrecision, LicenseTerms
from licmon.domain.passwords import Passwords
from licmon.domain.staff import parse_roles
from licmon.store.sqlite import SqliteStore
from tests import serverproc
from tests.conftest import nonce
from tests.staff.conftest import PASSWORD

CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (CHROMIUM and DRIVER),
        reason="needs Debian's chromium and chromium-driver (apt-get install chromium "
        "chromium-driver; .ci/run installs them)",
    ),
]
webdriver = pytest.importorskip("selenium.webdriver", reason="needs selenium (test extra)")
By = pytest.importorskip("selenium.webdriver.common.by").By
Service = pytest.importorskip("selenium.webdriver.chrome.service").Service
WebDriverWait = pytest.importorskip("selenium.webdriver.support.wait").WebDriverWait


def seed(data_dir: Path) -> tuple[int, list[str]]:
    """Two licenses, a flag and an analyst; returns the flag's id and the keys."""

    async def run() -> tuple[int, list[str]]:
        pepper = DataDir(data_dir).ensure().pepper()
        store = SqliteStore(data_dir / "licmon.db")
        await store.open()
        await store.add_org("acme", "Acme Ltd", IpPrecision.FULL, 60)
        await store.add_product("viewer", "Viewer")
        await store.add_product("editor", "Editor")
        keys = []
        for product, seats in (("viewer", 5), ("editor", 2)):
            key = license_keys.generate()
            keys.append(key)
            await store.add_license(
                "acme", product, LicenseTerms(seats, 10), license_keys.key_hash(pepper, key)
            )
        now = int(time.time())
        draft = FlagDraft(FlagKind.SEAT_OVERUSE, Severity.HIGH, 1, now, {"refusals": 9})
        (flag_id,) = await store.raise_flags([FlagRaise(draft, now + 86400)])
        digest = Passwords().hash(PASSWORD)
        await store.add_user("ann", digest, parse_roles("analyst"), None, actor="cli:test")
        await store.close()
        return flag_id, keys

    return asyncio.run(run())


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, int]]:
    data_dir = tmp_path / "data"
    flag_id, keys = seed(data_dir)
    port = serverproc.free_port()
    proc = serverproc.start(data_dir, port)
    for i, (key, product) in enumerate([(keys[0], "viewer")] * 3 + [(keys[1], "editor")]):
        checkin(port, key, product, f"browser-test-{i:04d}")
    try:
        yield f"http://127.0.0.1:{port}", flag_id
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,1000",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
    ):
        options.add_argument(flag)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    options.add_experimental_option(
        "prefs",
        {"download.default_directory": str(downloads), "download.prompt_for_download": False},
    )
    driver = webdriver.Chrome(service=Service(executable_path=DRIVER), options=options)
    driver.downloads = downloads
    try:
        yield driver
    finally:
        driver.quit()


def test_log_in_open_a_flag_and_export_the_report(server: tuple[str, int], browser: Any) -> None:
    base, flag_id = server
    browser.get(f"{base}/staff/")
    assert browser.current_url.endswith("/staff/login")
    browser.find_element(By.NAME, "username").send_keys("ann")
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "form button").click()
    shows(browser, "Check-ins per hour")
    cookie = browser.get_cookie("licmon_session")  # kept over http on 127.0.0.1
    assert cookie["secure"] and cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    shot = browser.downloads.parent / "console-dashboard.png"
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000

    browser.find_element(By.LINK_TEXT, "Flags").click()
    browser.find_element(By.LINK_TEXT, f"#{flag_id}").click()
    shows(browser, "seat_overuse")
    browser.find_element(By.NAME, "justification").send_keys("checking flag for overuse")
    browser.find_element(By.XPATH, "//button[text()='Show evidence']").click()
    shows(browser, "refusals")

    browser.find_element(By.LINK_TEXT, "Abuse report").click()
    shows(browser, "License #1")
    browser.find_element(By.LINK_TEXT, "CSV").click()
    exported = _wait_for(browser.downloads / "licmon-abuse-report.csv")
    lines = exported.read_text().splitlines()
    assert lines[0].startswith("license,organization") and lines[1].startswith("1,acme,viewer")


def shows(browser: Any, text: str, seconds: float = 10) -> None:
    """Wait for the page a click led to."""
    WebDriverWait(browser, seconds).until(lambda driver: text in driver.page_source)


def checkin(port: int, key: str, product: str, machine: str) -> None:
    body = json.dumps({"key": key, "product": product, "machine": machine, "nonce": nonce()})
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/v1/checkin",
        data=body.encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 200


def _wait_for(path: Path, seconds: float = 10) -> Path:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if path.exists():
            return path
        time.sleep(0.1)
    raise AssertionError(f"{path.name} was not downloaded")
