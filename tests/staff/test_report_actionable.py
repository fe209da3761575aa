"""An abuse report staff can act on: the peak is never below the seats in use, each figure
stands beside its limit, seats_exhausted refusals are counted, countries carry a unit, the
suggested action fits the license's state, and the charts are in the page and the file."""

import json
import re
import time

from licmon.domain.detectors.events import FlagKind
from licmon.domain.models import LicenseStatus
from licmon.domain.reports import FlagSummary, LicenseFindings, suggest_action
from licmon.keys import STORE
from tests.staff.conftest import StaffWorld
from tests.staff.fixtures import raise_flag


async def _scene(sworld: StaffWorld) -> int:
    """Two seats, three machines allowed: five machines try, three are refused."""
    key, lic = await sworld.add_license(org="acme", seats=2, max_machines=3)
    for i in range(5):
        await sworld.checkin(key, f"report-machine-{i:04d}")
    await raise_flag(sworld, lic.id, FlagKind.SEAT_OVERUSE)
    await sworld.add_user("ann", "analyst")
    return lic.id


async def test_figures_stand_beside_their_limits(sworld: StaffWorld) -> None:
    license_id = await _scene(sworld)  # no seat sample was taken: the peak comes from live
    analyst = await sworld.logged_in("ann")
    body = json.loads(await (await analyst.get("/staff/reports/abuse?format=json")).text())
    (lic,) = body["licenses"]
    assert lic["license"] == license_id
    assert lic["peak_seats"] == 2 and lic["seats_in_use"] == 2
    assert lic["max_machines"] == 3 and lic["machines_seen"] == 5
    assert lic["refusals"] == 3
    page = await (await analyst.get("/staff/reports/abuse")).text()
    assert "peak 2 of 2 licensed" in page
    assert "5 of 3 allowed" in page
    assert "3 check-ins refused: every seat in use (seats_exhausted)" in page
    assert re.search(r"unknown: 5 check-ins", page)
    csv_text = await (await analyst.get("/staff/reports/abuse?format=csv")).text()
    header, row = csv_text.splitlines()[:2]
    assert "max_machines" in header and "refusals" in header
    assert dict(zip(header.split(","), row.split(","), strict=False))["refusals"] == "3"


async def test_charts_are_in_the_page_and_the_printable_file(sworld: StaffWorld) -> None:
    await _scene(sworld)
    analyst = await sworld.logged_in("ann")
    for path in ("/staff/reports/abuse", "/staff/reports/abuse?format=html"):
        text = await (await analyst.get(path)).text()
        for label in ("Seat use against the 2 licensed", "Check-ins and refusals", "Countries"):
            assert re.search(rf'<svg class="chart[^"]*"[^>]*aria-label="{label}', text), (
                path,
                label,
            )
        assert 'class="limit"' in text  # the licensed line
        assert "UTC" in re.search(r"<svg.*?</svg>", text, re.S).group(0)  # type: ignore[union-attr]
        assert "<script" not in text and "http://" not in text.replace("http://www.w3.org", "")


async def test_no_suspend_for_a_suspended_license(sworld: StaffWorld) -> None:
    license_id = await _scene(sworld)
    await sworld.client.app[STORE].set_license_status(license_id, LicenseStatus.SUSPENDED)
    analyst = await sworld.logged_in("ann")
    body = json.loads(await (await analyst.get("/staff/reports/abuse?format=json")).text())
    assert "suspend the license" not in body["licenses"][0]["suggested_action"]


def _findings(status: str) -> LicenseFindings:
    confirmed = FlagSummary(1, "seat_overuse", "high", "confirmed", 1, 0, 0)
    return LicenseFindings(
        1, "acme", "Acme", "viewer", status, 2, 2, 0, 1, (), {}, (confirmed,), max_machines=3
    )


def test_suggestions_fit_the_state() -> None:
    assert "suspend the license" in suggest_action(_findings("active"))
    assert "already suspended" in suggest_action(_findings("suspended"))
    assert "revoked" in suggest_action(_findings("revoked"))
    assert "suspend" not in suggest_action(_findings("revoked"))


async def test_report_cards_page_and_any_date_range(sworld: StaffWorld) -> None:
    for _ in range(60):
        _, lic = await sworld.add_license(org="acme")
        await raise_flag(sworld, lic.id, FlagKind.TERRITORY)
    await sworld.add_user("ann", "analyst")
    analyst = await sworld.logged_in("ann")
    first = await (await analyst.get("/staff/reports/abuse?limit=50")).text()
    assert "showing 1-50 of 60" in first and first.count("<h2>License #") == 50
    day = time.strftime("%Y-%m-%d", time.gmtime(sworld.clock.now))
    ranged = await analyst.get(f"/staff/reports/abuse?from={day}&until={day}&format=json")
    assert ranged.status == 200 and len(json.loads(await ranged.text())["licenses"]) == 60
    before = await analyst.get("/staff/reports/abuse?from=2020-01-01&until=2020-01-31&format=json")
    assert json.loads(await before.text())["licenses"] == []
    wrong = await analyst.get("/staff/reports/abuse?from=2027-02-01&until=2027-01-01")
    assert wrong.status == 400 and "start is after its end" in await wrong.text()
    too_long = await analyst.get("/staff/reports/abuse?from=2020-01-01&until=2027-01-01")
    assert too_long.status == 400 and "at most 400 days" in await too_long.text()
