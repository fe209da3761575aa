"""Customer self-service in the console: its machines and seats, and a seat freed."""

import re

from tests.conftest import checkin_body
from tests.staff.conftest import StaffWorld


async def test_a_customer_frees_a_seat_of_its_own_organization(sworld: StaffWorld) -> None:
    await sworld.add_user("cleo", "customer", "acme")
    await sworld.add_user("gus", "customer", "globex")
    key, lic = await sworld.add_license("acme", seats=1)
    other_key, other = await sworld.add_license("globex", seats=1)
    for k in (key, other_key):
        response = await sworld.client.post("/v1/checkin", json=checkin_body(k, "machine-0001"))
        assert response.status == 200
    cleo = await sworld.logged_in("cleo")
    page = await (await cleo.get(f"/staff/licenses/{lic.id}")).text()
    assert "machine-0001" in page and "Free seat" in page
    action = re.search(r'action="(/staff/licenses/\d+/machines/\d+/deactivate)"', page)
    assert action is not None
    refused = await cleo.post(action.group(1), {"reason": "x"})
    assert refused.status == 400  # a reason is needed
    freed = await cleo.post(action.group(1), {"reason": "retired laptop"})
    assert freed.status == 303
    assert (await sworld.store.license_usage(lic.id)).seats_in_use == 0
    assert (await sworld.store.license_usage(other.id)).seats_in_use == 1
    entry = (await sworld.store.audit_recent(limit=1))[0].entry
    assert entry.action == "machine.deactivate" and entry.actor == sworld.users["cleo"].actor
    assert entry.details["reason"] == "retired laptop"
    page = await (await cleo.get(f"/staff/licenses/{lic.id}")).text()
    assert "Free seat" not in page

    gus = await sworld.logged_in("gus")
    foreign = await gus.post(action.group(1), {"reason": "not mine at all"})
    assert foreign.status == 404


async def test_freeing_a_seat_of_a_license_locked_by_activations_moves_the_lock(
    sworld: StaffWorld,
) -> None:
    await sworld.add_user("cleo", "customer", "acme")
    key, lic = await sworld.add_license("acme", seats=1, activation_limit=1, lock_moves=1)
    assert (await sworld.checkin(key, "lab-pc-000001"))[0] == 200
    cleo = await sworld.logged_in("cleo")

    async def free_seat() -> int:
        page = await (await cleo.get(f"/staff/licenses/{lic.id}")).text()
        action = re.search(r'action="(/staff/licenses/\d+/machines/\d+/deactivate)"', page)
        assert action is not None
        return (await cleo.post(action.group(1), {"reason": "replaced laptop"})).status

    assert await free_seat() == 303
    assert (await sworld.checkin(key, "lab-pc-000002"))[0] == 200  # took the freed place
    assert await free_seat() == 403  # the one lock move per 30 days is used up
    assert (await sworld.store.license_usage(lic.id)).seats_in_use == 1
