"""What the pages do: addresses only after a purpose (audited), flag decisions (audited),
data-subject requests and holds, and the counts behind the charts."""

import json

from tests.dbutil import rows
from tests.staff.conftest import StaffWorld
from tests.staff.fixtures import build_scene

WHY = "investigating flag 3 for seat overuse"


def audit(world: StaffWorld, action: str) -> list[tuple[str, str, dict[str, object]]]:
    found = rows(
        world.store.path,  # type: ignore[attr-defined]
        f"SELECT actor, target, details FROM audit WHERE action = '{action}' ORDER BY id",
    )
    return [(a, t, json.loads(d)) for a, t, d in found]


async def test_addresses_appear_only_after_a_stated_purpose(sworld: StaffWorld) -> None:
    scene = await build_scene(sworld)
    analyst = await scene.browser("analyst")
    page = await (await analyst.get(f"/staff/licenses/{scene.acme_license}")).text()
    assert "127.0.0.1" not in page and "Show addresses" in page
    short = await analyst.post(
        f"/staff/licenses/{scene.acme_license}/addresses",
        {"purpose": "license.enforcement.abuse", "justification": "why"},
    )
    assert short.status == 403 and "justification" in await short.text()
    shown = await analyst.post(
        f"/staff/licenses/{scene.acme_license}/addresses",
        {"purpose": "license.enforcement.abuse", "justification": WHY},
    )
    text = await shown.text()
    assert shown.status == 200 and "127.0.0.1" in text and "127.0.0.0/24" in text
    (entry,) = audit(sworld, "personal_data.read")
    assert entry[0] == sworld.users["analyst"].actor
    assert entry[1] == f"license:{scene.acme_license}" and entry[2]["justification"] == WHY
    support = await scene.browser("support")
    assert (
        "Show addresses"
        not in await (await support.get(f"/staff/licenses/{scene.acme_license}")).text()
    )


async def test_flag_evidence_and_decisions(sworld: StaffWorld) -> None:
    scene = await build_scene(sworld)
    analyst = await scene.browser("analyst")
    flag = scene.acme_flags[0]
    before = await (await analyst.get(f"/staff/flags/{flag}")).text()
    assert "198.51.100" not in before
    shown = await analyst.post(
        f"/staff/flags/{flag}/evidence",
        {"purpose": "license.enforcement.abuse", "justification": WHY},
    )
    assert "198.51.100.0/24" in await shown.text()
    decided = await analyst.post(
        f"/staff/flags/{flag}/decide", {"status": "confirmed", "reason": "clear overuse"}
    )
    assert decided.status == 303
    assert (await sworld.store.get_flag(flag))["status"] == "confirmed"
    (entry,) = audit(sworld, "flag.confirmed")
    assert entry[0] == sworld.users["analyst"].actor
    again = await analyst.post(
        f"/staff/flags/{flag}/decide", {"status": "dismissed", "reason": "x y"}
    )
    assert again.status == 409
    customer = await scene.browser("customer")
    seen = await (await customer.get(f"/staff/flags/{flag}")).text()
    assert "clear overuse" not in seen and "Show evidence" not in seen


async def test_data_subject_requests_and_holds(sworld: StaffWorld) -> None:
    scene = await build_scene(sworld)
    dpo = await scene.browser("dpo")
    form = {
        "kind": "license",
        "value": str(scene.acme_license),
        "justification": "data-subject request DSR-7",
    }
    export = await dpo.post("/staff/dsr", {**form, "action": "export"})
    text = await export.text()
    assert export.status == 200 and "acme-machine-0000" in text and "legitimate interest" in text
    held = await dpo.post(
        "/staff/holds",
        {
            "scope": "license",
            "ref": str(scene.acme_license),
            "reason": "litigation",
            "citation": "case 42",
        },
    )
    assert held.status == 303
    asked = await (await dpo.post("/staff/dsr", {**form, "action": "erase"})).text()
    assert "Yes, erase license" in asked and "litigation" not in asked  # nothing erased yet
    confirmed = {**form, "action": "erase", "confirmed": "1"}
    erased = await (await dpo.post("/staff/dsr", confirmed)).text()
    assert "litigation" in erased  # the receipt names the hold that keeps the rows
    (hold,) = await sworld.store.list_holds()
    assert hold["created_by"] == sworld.users["dpo"].actor
    assert (await dpo.post(f"/staff/holds/{hold['id']}/release")).status == 303
    assert await sworld.store.list_holds() == []
    bad = await dpo.post("/staff/dsr", {**form, "action": "export", "justification": ""})
    assert bad.status == 403


async def test_checkins_are_counted_per_hour_and_seats_sampled(sworld: StaffWorld) -> None:
    key, lic = await sworld.add_license(seats=2)
    for machine in ("machine-0001", "machine-0002", "machine-0001"):
        await sworld.checkin(key, machine)
    await sworld.store.sample_seats()
    now = int(sworld.clock.now)
    assert await sworld.store.checkins_per_hour(None, now - 3600) == {now - now % 3600: 3}
    activity = await sworld.store.license_activity(lic.id, now - 3600)
    assert activity["seat_use"][0]["peak_seats"] == 2
    assert {m["fingerprint"] for m in activity["machines"]} == {"machine-0001", "machine-0002"}
    assert activity["countries"][0]["checkins"] == 3
    sworld.clock.advance(31 * 86400)
    await sworld.store.run_retention()
    assert await sworld.store.checkins_per_hour(None, 0) == {}
