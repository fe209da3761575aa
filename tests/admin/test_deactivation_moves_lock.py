"""Deactivating a machine of a license locked by activations, through the admin API, is a
lock move like the console's and the CLI's: the next new machine takes the freed place, the
move counts against the license's allowance (refused once it is used up), audited."""

from typing import Any

from tests.admin.conftest import Api, Staff
from tests.conftest import checkin_body

LOCKED = {"org": "acme", "product": "viewer", "seats": 1, "activation_limit": 1, "lock_moves": 1}


async def checkin(staff: Staff, key: str, machine: str) -> tuple[int, Any]:
    response = await staff.world.client.post("/v1/checkin", json=checkin_body(key, machine))
    return response.status, await response.json()


async def machine_id(api: Api, license_id: int, fingerprint: str) -> int:
    _, machines = await api.get(f"/licenses/{license_id}/machines")
    return next(m["id"] for m in machines["items"] if m["fingerprint"] == fingerprint)


async def deactivate(api: Api, license_id: int, machine: int) -> tuple[int, Any]:
    path = f"/licenses/{license_id}/machines/{machine}?reason=replaced+laptop"
    status, answer, _ = await api.call("DELETE", path)
    return status, answer


async def test_a_deactivation_moves_the_lock_within_the_allowance(staff: Staff) -> None:
    api = staff.customer  # acme's own staff
    status, lic = await staff.admin.post("/licenses", LOCKED)
    assert status == 201, lic
    assert (await checkin(staff, lic["key"], "lab-pc-000001"))[0] == 200
    status, refused = await checkin(staff, lic["key"], "lab-pc-000002")
    assert status == 403 and refused["reason"] == "machine_not_allowed"

    first = await machine_id(api, lic["id"], "lab-pc-000001")
    status, freed = await deactivate(api, lic["id"], first)
    assert status == 200 and freed["seat"] is None, freed
    status, answer = await checkin(staff, lic["key"], "lab-pc-000002")
    assert status == 200, answer  # the freed activation went to the next new machine

    second = await machine_id(api, lic["id"], "lab-pc-000002")
    status, answer = await deactivate(api, lic["id"], second)
    assert status == 403 and set(answer) == {"error", "message"}, answer
    assert "1 lock move(s) per 30 days" in answer["message"]
    assert (await checkin(staff, lic["key"], "lab-pc-000002"))[0] == 200  # kept its seat
    status, answer = await checkin(staff, lic["key"], "lab-pc-000003")
    assert status == 403 and answer["reason"] == "machine_not_allowed"

    store = staff.world.store
    me = next(user for user in await store.list_users() if user.username == "cleo")
    entries = await store.audit_recent(20, target=f"license:{lic['id']}")
    done = [(e.entry.action, e.entry.actor) for e in entries if e.entry.outcome == "ok"]
    assert done.count(("license.lock_move", me.actor)) == 1
    assert done.count(("machine.deactivate", me.actor)) == 1


async def test_a_listed_lock_keeps_its_machines_and_frees_only_the_seat(staff: Staff) -> None:
    body = {**LOCKED, "activation_limit": 0, "lock_moves": 0, "locked_machines": ["lab-pc-000001"]}
    _, lic = await staff.admin.post("/licenses", body)
    assert (await checkin(staff, lic["key"], "lab-pc-000001"))[0] == 200
    status, freed = await deactivate(
        staff.admin, lic["id"], await machine_id(staff.admin, lic["id"], "lab-pc-000001")
    )
    assert status == 200 and freed["seat"] is None, freed
    assert (await checkin(staff, lic["key"], "lab-pc-000002"))[1]["reason"] == "machine_not_allowed"
    assert (await checkin(staff, lic["key"], "lab-pc-000001"))[0] == 200
