"""License models in a running licmon: lease chain fields, overage,
processes per machine, activation limits and lock moves from the command line."""

from typing import Any

from licmon.keys import STORE
from tests.conftest import World, checkin_body
from tests.licenses.conftest import Cli


async def flags_of(world: World, kind: str) -> list[dict[str, Any]]:
    return await world.store.list_flags(None, kind=kind)


async def test_an_older_client_without_a_chain_is_served_as_before(world: World) -> None:
    key, _ = await world.add_license(seats=1)
    for _ in range(3):
        status, answer = await world.checkin(key)
        assert status == 200, answer
    status, answer = await world.checkin(key, previous="x" * 22)
    assert status == 400 and "installation" in answer["message"]
    status, answer = await world.checkin(key, installation="short")
    assert status == 400 and answer["error"] == "bad_request"


async def test_an_overage_seat_is_granted_marked_and_flagged(world: World) -> None:
    key, lic = await world.add_license(seats=2, overage_percent=50)
    for machine in ("pc-000001", "pc-000002"):
        assert (await world.checkin(key, machine))[0] == 200
    assert await flags_of(world, "overage") == []
    status, answer = await world.checkin(key, "pc-000003")
    assert status == 200 and answer["seats_in_use"] == 3
    (flag,) = await flags_of(world, "overage")
    assert flag["license_id"] == lic.id and flag["severity"] == "low"
    status, answer = await world.checkin(key, "pc-000004")
    assert status == 403 and answer["reason"] == "seats_exhausted"


async def test_processes_per_machine_over_http(world: World) -> None:
    key, lic = await world.add_license(seats=1, max_processes=2)
    for process in (4100, "4101"):
        status, answer = await world.checkin(key, process=process)
        assert status == 200, answer
    status, answer = await world.checkin(key, process=4102)
    assert status == 403 and answer["reason"] == "processes_exhausted"
    assert answer["message"] == "This license allows no more instances on this machine."
    body = {k: v for k, v in checkin_body(key).items() if k != "nonce"}
    response = await world.client.post("/v1/release", json={**body, "process": 4100})
    assert response.status == 200
    assert (await world.client.app[STORE].license_usage(lic.id)).seats_in_use == 1
    assert (await world.checkin(key, process=4102))[0] == 200
    status, answer = await world.checkin(key, process=True)
    assert status == 400


def test_license_add_with_the_new_models_and_a_lock_move(cli: Cli) -> None:
    lic = cli.license(
        "--activation-limit", "1", "--lock-moves", "1", "--overage-percent", "20",
        "--max-processes", "3", "--refuse-cloned",
    )  # fmt: skip
    assert (lic["activation_limit"], lic["lock_moves"], lic["lock_move_days"]) == (1, 1, 30)
    assert (lic["overage_percent"], lic["max_processes"], lic["refuse_cloned"]) == (20, 3, True)
    issued = cli.issue(cli.request(lic["key"], "lab-pc-000001"), 1)  # locks the machine in
    assert issued.exit_code == 1  # no offline days on this license
    listed = cli.license("--node-locked", "--machine", "lab-pc-000001")
    moved = cli.ok("license", "move-lock", str(listed["id"]), "--machine", "lab-pc-000001",
                   "--to", "lab-pc-000002", "--yes", "--json")  # fmt: skip
    assert moved["locked_machines"] == ["lab-pc-000002"]
    again = cli("license", "move-lock", str(listed["id"]), "--machine", "lab-pc-000002",
                "--to", "lab-pc-000003", "--yes")  # fmt: skip
    assert again.exit_code == 1 and "lock move(s) per 30 days" in again.output
    assert "Traceback" not in again.output
    bad = cli("license", "add", "--org", "acme", "--product", "viewer", "--overage-percent", "200")
    assert bad.exit_code != 0 and "Traceback" not in bad.output
    shown = cli.usage(lic["id"])
    assert shown["machines_activated"] == 0


def test_an_air_gapped_activation_takes_one_of_the_activations(cli: Cli) -> None:
    lic = cli.license("--activation-limit", "1", "--max-offline-days", "9", "--seats", "3")
    assert cli.issue(cli.request(lic["key"], "lab-pc-000001"), 5).exit_code == 0
    assert cli.usage(lic["id"])["machines_activated"] == 1
    refused = cli.issue(cli.request(lic["key"], "lab-pc-000002", "b.json"), 5, "b.lic")
    assert refused.exit_code == 1 and "activation" in refused.output
