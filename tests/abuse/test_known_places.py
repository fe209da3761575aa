"""Known places: declared with the CLI (audited, bad input one line), and a running server
that stops flagging a single-seat user switching between home and the company's VPN exit."""

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from licmon.cli import main
from licmon.keys import ABUSE
from tests.abuse.conftest import Abused


def test_places_are_declared_listed_and_removed_with_the_cli(tmp_path: Path) -> None:
    runner = CliRunner(env={"LICMON_DATA_DIR": str(tmp_path / "data"), "LICMON_CONFIG": ""})

    def run(*args: str) -> Any:
        return runner.invoke(main, list(args))

    assert run("init").exit_code == 0
    assert run("org", "add", "acme").exit_code == 0
    added = run("org", "place", "add", "acme", "203.0.113.0/24", "--kind", "vpn", "--json")
    assert added.exit_code == 0, added.output
    assert json.loads(added.stdout)["kind"] == "vpn"
    (listed,) = json.loads(run("org", "place", "list", "acme", "--json").stdout)
    assert listed["network"] == "203.0.113.0/24"
    bad = run("org", "place", "add", "acme", "not-a-network")
    assert bad.exit_code != 0 and "Traceback" not in bad.output and "CIDR" in bad.output
    again = run("org", "place", "add", "acme", "203.0.113.0/24")
    assert again.exit_code != 0 and "already" in again.output
    assert run("org", "place", "remove", "acme", "203.0.113.0/24").exit_code == 0
    assert json.loads(run("org", "place", "list", "--json").stdout) == []


async def test_a_declared_vpn_egress_is_not_impossible_travel(aworld: Abused) -> None:
    key, _ = await aworld.add_license()
    await aworld.store.add_place("acme", "203.0.113.0/24", "vpn", "HQ VPN", actor="test")
    await aworld.client.app[ABUSE].refresh_places()
    for n in range(6):  # Berlin home, New York VPN exit, every ten minutes
        address = "203.0.113.7" if n % 2 else "198.51.100.7"
        assert (await aworld.checkin_from(key, address))[0] == 200
        aworld.clock.advance(600)
    flags = await aworld.store.list_flags(None)
    assert [f["kind"] for f in flags] == []
