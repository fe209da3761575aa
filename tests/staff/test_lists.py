"""Every console list pages ("showing 1-100 of 150", previous and next, a stable order),
searches (license id, organization, machine fingerprint) and filters (the audit log by
actor, action and period), and says clearly when a filter is wrong."""

import os
import re

from licmon.domain import license_keys
from licmon.domain.detectors.events import FlagKind
from licmon.domain.models import LicenseTerms
from tests.staff.conftest import StaffWorld
from tests.staff.fixtures import raise_flag

LICENSE_LINK = re.compile(r'href="/staff/licenses/(\d+)"')


async def _many_licenses(sworld: StaffWorld, count: int) -> list[int]:
    ids = []
    for i in range(count):
        org = "globex" if i == count - 1 else "acme"
        digest = license_keys.key_hash(sworld.pepper, license_keys.generate())
        lic = await sworld.store.add_license(org, "viewer", LicenseTerms(1, 10), digest)
        ids.append(lic.id)
    return ids


def _next_link(page: str) -> str:
    found = re.search(r'<a rel="next" href="([^"]+)"', page)
    assert found, "a next link"
    return found.group(1).replace("&amp;", "&")


async def test_licenses_page_and_search(sworld: StaffWorld) -> None:
    ids = await _many_licenses(sworld, 150)
    await sworld.add_user("sue", "support")
    support = await sworld.logged_in("sue")
    first = await (await support.get("/staff/licenses")).text()
    assert "showing 1-100 of 150" in first
    assert [int(i) for i in LICENSE_LINK.findall(first)] == ids[:100]
    second = await (await support.get(_next_link(first))).text()
    assert "showing 101-150 of 150" in second and 'rel="prev"' in second
    assert [int(i) for i in LICENSE_LINK.findall(second)] == ids[100:]
    assert 'rel="next"' not in second
    by_org = await (await support.get("/staff/licenses?q=globex")).text()
    assert [int(i) for i in LICENSE_LINK.findall(by_org)] == [ids[-1]]
    by_id = await (await support.get(f"/staff/licenses?q=%23{ids[41]}")).text()
    assert [int(i) for i in LICENSE_LINK.findall(by_id)] == [ids[41]]


async def test_search_by_machine_fingerprint(sworld: StaffWorld) -> None:
    await _many_licenses(sworld, 3)
    key, lic = await sworld.add_license(org="acme")
    await sworld.checkin(key, "fp-" + os.urandom(6).hex())
    machines = (await sworld.store.license_activity(lic.id, 0))["machines"]
    fingerprint = machines[0]["fingerprint"]
    await sworld.add_user("sue", "support")
    support = await sworld.logged_in("sue")
    found = await (await support.get(f"/staff/licenses?q={fingerprint[:8]}")).text()
    assert [int(i) for i in LICENSE_LINK.findall(found)] == [lic.id]
    assert "showing 1-1 of 1" in found


async def test_flags_page(sworld: StaffWorld) -> None:
    ids = await _many_licenses(sworld, 120)
    for license_id in ids:
        await raise_flag(sworld, license_id, FlagKind.TERRITORY)
    await sworld.add_user("ann", "analyst")
    analyst = await sworld.logged_in("ann")
    first = await (await analyst.get("/staff/flags")).text()
    assert "showing 1-100 of 120" in first
    second = await (await analyst.get(_next_link(first))).text()
    assert "showing 101-120 of 120" in second


async def test_audit_filters_and_names(sworld: StaffWorld) -> None:
    await _many_licenses(sworld, 130)
    await sworld.add_user("dora", "dpo")
    dpo = await sworld.logged_in("dora")
    everything = await (await dpo.get("/staff/audit")).text()
    assert re.search(r"showing 1-100 of \d{3}", everything)
    licenses = await (await dpo.get("/staff/audit?action=license.add")).text()
    assert "showing 1-100 of 130" in licenses
    assert "user.add" not in licenses
    mine = await (await dpo.get("/staff/audit?actor=dora")).text()
    assert "dora" in mine and ">user:" not in mine.replace('hint">user:', "")
    assert "login" in mine
    future = await (await dpo.get("/staff/audit?since=2999-01-01")).text()
    assert "nothing to show" in future
    wrong = await dpo.get("/staff/audit?since=2027-01-02&until=2027-01-01")
    assert wrong.status == 400 and "start is after its end" in await wrong.text()
    junk = await dpo.get("/staff/audit?offset=-5")
    assert junk.status == 400 and "offset" in await junk.text()
