"""The console: a customer's staff moves a node lock of its own organization's license
(audited, within the moves per period); nobody else's, and not every role."""

from tests.staff.conftest import StaffWorld
from tests.staff.fixtures import add_token


async def test_a_customer_moves_a_lock_of_its_own_license_within_the_limit(
    sworld: StaffWorld,
) -> None:
    key, lic = await sworld.add_license(org="acme", seats=2, activation_limit=1, lock_moves=1)
    assert (await sworld.checkin(key, "lab-pc-000001"))[0] == 200
    assert (await sworld.checkin(key, "lab-pc-000002"))[1]["reason"] == "machine_not_allowed"
    staff = await sworld.add_user("acme-staff", "customer", "acme")
    await sworld.add_user("globex-staff", "customer", "globex")
    await sworld.add_user("helpdesk", "support")
    browser = await sworld.logged_in("acme-staff")
    page = await (await browser.get(f"/staff/licenses/{lic.id}")).text()
    assert "the first 1 machine(s): 1 activated" in page and "Move the lock" in page
    moved = await browser.post(f"/staff/licenses/{lic.id}/move-lock", {"machine": "lab-pc-000001"})
    assert moved.status == 303
    assert (await sworld.checkin(key, "lab-pc-000002"))[0] == 200
    again = await browser.post(f"/staff/licenses/{lic.id}/move-lock", {"machine": "lab-pc-000002"})
    assert again.status == 400 and "1 lock move(s) per 30 days" in await again.text()
    (entry, *_) = await sworld.store.audit_recent(5, target=f"license:{lic.id}")
    assert (entry.entry.action, entry.entry.actor) == ("license.lock_move", staff.actor)
    other = await sworld.logged_in("globex-staff")
    assert (await other.get(f"/staff/licenses/{lic.id}")).status == 404
    helpdesk = await sworld.logged_in("helpdesk")
    page = await (await helpdesk.get(f"/staff/licenses/{lic.id}")).text()
    assert "Move the lock" not in page
    refused = await helpdesk.post(
        f"/staff/licenses/{lic.id}/move-lock", {"machine": "lab-pc-000002"}
    )
    assert refused.status == 403


async def test_the_staff_api_shows_a_licenses_model_terms(sworld: StaffWorld) -> None:
    key, lic = await sworld.add_license(org="acme", seats=3, activation_limit=2, overage_percent=10)
    await sworld.checkin(key, "lab-pc-000001")
    await sworld.add_user("acme-staff", "customer", "acme")
    token = await add_token(sworld, "acme-staff")
    response = await sworld.client.get(
        f"/staff/api/licenses/{lic.id}", headers={"Authorization": f"Bearer {token}"}
    )
    body = await response.json()
    assert response.status == 200, body
    assert (body["activation_limit"], body["machines_activated"]) == (2, 1)
    assert (body["overage_percent"], body["refuse_cloned"]) == (10, False)
