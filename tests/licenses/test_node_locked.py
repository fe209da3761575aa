"""Node-locked licenses: only the locked machines get a seat; any other is refused."""

from tests.conftest import World
from tests.licenses.conftest import Cli


async def test_other_machines_are_refused_machine_not_allowed(world: World) -> None:
    locked = frozenset({"lab-pc-000001", "lab-pc-000002"})
    key, lic = await world.add_license(seats=5, locked_machines=locked)
    for machine in sorted(locked):
        status, answer = await world.checkin(key, machine)
        assert status == 200, answer
    status, answer = await world.checkin(key, "intruder-0001")
    assert status == 403 and answer["reason"] == "machine_not_allowed"
    assert answer["message"] == "This license is locked to other machines."
    assert (await world.store.license_usage(lic.id)).seats_in_use == 2
    spec = await (await world.client.get("/openapi.json")).json()
    denied = spec["paths"]["/v1/checkin"]["post"]["responses"]["403"]["content"]
    assert (
        "machine_not_allowed"
        in denied["application/json"]["schema"]["properties"]["reason"]["enum"]
    )


def test_license_add_node_locked(cli: Cli) -> None:
    lic = cli.license("--node-locked", "--machine", "lab-pc-000001", "--machine", "lab-pc-000002")
    assert lic["locked_machines"] == ["lab-pc-000001", "lab-pc-000002"]
    for bad in (
        ("--node-locked",),
        ("--machine", "lab-pc-000001"),
        ("--node-locked", "--machine", "x y"),
    ):
        result = cli("license", "add", "--org", "acme", "--product", "viewer", *bad)
        assert result.exit_code == 1 and "Traceback" not in result.output


def test_an_unlocked_machine_gets_no_offline_license(cli: Cli) -> None:
    lic = cli.license("--node-locked", "--machine", "lab-pc-000001", "--max-offline-days", "9")
    refused = cli.issue(cli.request(lic["key"], "lab-pc-000009"), 5)
    assert refused.exit_code == 1 and "locked to other machines" in refused.output
    assert (
        cli.issue(cli.request(lic["key"], "lab-pc-000001", "ok.json"), 5, "ok.lic").exit_code == 0
    )
