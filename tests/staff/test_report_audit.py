"""Every abuse report made, from the console's API or the command line, is an audit entry
naming who made it."""

import json
from pathlib import Path

from click.testing import CliRunner

from licmon.cli import main
from tests.staff.conftest import StaffWorld
from tests.staff.fixtures import build_scene
from tests.staffer import staff_token


async def test_a_report_through_the_token_api_is_audited(sworld: StaffWorld) -> None:
    scene = await build_scene(sworld)
    headers = {"Authorization": f"Bearer {scene.tokens['analyst']}"}
    answer = await sworld.client.get("/staff/api/reports/abuse?since=7d", headers=headers)
    assert answer.status == 200
    analyst = next(u for u in await sworld.store.list_users() if u.username == "analyst")
    made = [e for e in await sworld.store.audit_recent(20) if e.entry.action == "report.abuse"]
    assert [e.entry.actor for e in made] == [analyst.actor]
    assert made[0].entry.details["licenses"] == 2


def test_a_report_from_the_command_line_is_audited(tmp_path: Path) -> None:
    runner = CliRunner(env={"LICMON_DATA_DIR": str(tmp_path / "data"), "LICMON_CONFIG": ""})
    assert runner.invoke(main, ["org", "add", "acme"]).exit_code == 0
    token = staff_token(tmp_path / "data" / "licmon.db", "ana", "analyst")
    out = tmp_path / "report.json"
    for env in ({"LICMON_TOKEN": ""}, {"LICMON_TOKEN": token}):
        args = ["report", "abuse", "--format", "json", "--out", str(out)]
        assert runner.invoke(main, args, env=env).exit_code == 0
    listed = runner.invoke(main, ["audit", "list", "--json"])
    actors = [e["actor"] for e in json.loads(listed.stdout) if e["action"] == "report.abuse"]
    assert len(actors) == 2 and actors[0].startswith("user:") and actors[1].startswith("cli:")
