"""Small things people read: no "Valid — to —", the flag's checkbox beside its label, the
evidence purpose of an investigation preselected (not dsr)."""

import json
import re
from pathlib import Path

from licmon.domain.detectors.events import FlagKind
from tests.staff.conftest import StaffWorld
from tests.staff.fixtures import raise_flag


async def test_license_and_flag_pages(sworld: StaffWorld) -> None:
    _, lic = await sworld.add_license(org="acme")
    flag_id = await raise_flag(sworld, lic.id, FlagKind.TERRITORY)
    await sworld.add_user("root", "admin,dpo")
    admin = await sworld.logged_in("root")
    page = await (await admin.get(f"/staff/licenses/{lic.id}")).text()
    assert "no time limit" in page and "— to —" not in page
    flag = await (await admin.get(f"/staff/flags/{flag_id}")).text()
    assert re.search(r'<option value="license.enforcement.abuse" selected>', flag)
    assert '<label class="check"><input type="checkbox" name="suspend"' in flag


def test_grafana_server_errors_stat_shows_zero_without_errors() -> None:
    """With no 5xx series at all, ``sum(rate(...))`` is empty: "No data" instead of 0."""
    path = Path(__file__).resolve().parents[2] / "deploy/grafana/dashboards/licmon.json"
    (panel,) = [p for p in json.loads(path.read_text())["panels"] if p["title"] == "Server errors"]
    (target,) = panel["targets"]
    assert "or vector(0)" in target["expr"]


async def test_a_favicon(sworld: StaffWorld) -> None:
    await sworld.add_user("sue", "support")
    page = await (await (await sworld.logged_in("sue")).get("/staff/licenses")).text()
    found = re.search(r'<link rel="icon" type="image/svg\+xml" href="([^"]+)">', page)
    assert found
    icon = await sworld.client.get(found.group(1))
    assert icon.status == 200 and (await icon.text()).startswith("<svg")


async def test_license_page_lists_flags_and_suspends_after_a_second_step(
    sworld: StaffWorld,
) -> None:
    _, lic = await sworld.add_license(org="acme")
    flag_id = await raise_flag(sworld, lic.id, FlagKind.TERRITORY)
    await sworld.add_user("ann", "analyst")
    analyst = await sworld.logged_in("ann")
    page = await (await analyst.get(f"/staff/licenses/{lic.id}")).text()
    assert f'href="/staff/flags/{flag_id}"' in page and "Suspend…" in page
    path = f"/staff/licenses/{lic.id}/status"
    asked = await analyst.post(path, {"status": "suspended", "reason": "overuse case 7"})
    assert asked.status == 200 and f"Suspend license #{lic.id}?" in await asked.text()
    assert (await sworld.store.get_license(lic.id)).status.value == "active"
    no_reason = await analyst.post(path, {"status": "suspended", "reason": ""})
    assert no_reason.status == 400
    done = await analyst.post(
        path, {"status": "suspended", "reason": "overuse case 7", "confirmed": "1"}
    )
    assert done.status == 303
    assert (await sworld.store.get_license(lic.id)).status.value == "suspended"
    (entry,) = await sworld.store.audit_recent(1, f"license:{lic.id}")
    assert entry.entry.details["reason"] == "overuse case 7"
