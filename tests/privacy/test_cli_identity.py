"""Commands that read or change personal data act as a person: a staff API token or nothing."""

import asyncio
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from licmon.cli import main
from tests.abuse.test_abuse_cli import _raise
from tests.staffer import staff_token

JUSTIFY = ("--justification", "request DSR-91 from the subject")
PERSONAL_COMMANDS = [
    ("dsr", "export", "--license", "1", *JUSTIFY),
    ("dsr", "erase", "--license", "1", *JUSTIFY),
    ("dsr", "restrict", "--license", "1", *JUSTIFY),
    ("org", "export", "acme", *JUSTIFY),
    ("org", "erase", "acme", "--yes", *JUSTIFY),
    ("hold", "list"),
    ("hold", "add", "--license", "1", "--reason", "litigation", "--citation", "Case 5"),
    ("hold", "release", "1"),
]


@pytest.fixture
def runner(tmp_path: Path) -> CliRunner:
    runner = CliRunner(env={"LICMON_DATA_DIR": str(tmp_path / "data"), "LICMON_CONFIG": ""})
    for args in (
        ("org", "add", "acme"),
        ("product", "add", "viewer"),
        ("license", "add", "--org", "acme", "--product", "viewer"),
    ):
        assert runner.invoke(main, list(args)).exit_code == 0
    return runner


def invoke(runner: CliRunner, *args: str, token: str | None = None) -> Result:
    env = {"LICMON_TOKEN": token} if token else {"LICMON_TOKEN": ""}
    return runner.invoke(main, list(args), env=env)


def one_line_refusal(result: Result) -> str:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    return lines[0]


@pytest.mark.parametrize("args", PERSONAL_COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_without_a_token_the_command_refuses_in_one_line(
    runner: CliRunner, args: tuple[str, ...]
) -> None:
    line = one_line_refusal(invoke(runner, *args))
    assert "LICMON_TOKEN" in line and "personal data" in line


def test_flag_evidence_needs_a_token_but_the_flag_alone_does_not(
    runner: CliRunner, tmp_path: Path
) -> None:
    asyncio.run(_raise(tmp_path / "data" / "licmon.db"))
    assert invoke(runner, "flags", "show", "1").exit_code == 0
    line = one_line_refusal(invoke(runner, "flags", "show", "1", *JUSTIFY))
    assert "LICMON_TOKEN" in line
    token = staff_token(tmp_path / "data" / "licmon.db", "ana", "analyst")
    shown = invoke(runner, "flags", "show", "1", "--json", *JUSTIFY, token=token)
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout)["evidence"]


def test_an_unknown_token_is_refused(runner: CliRunner) -> None:
    line = one_line_refusal(invoke(runner, *PERSONAL_COMMANDS[0], token="lmt_" + "x" * 40))
    assert "unknown, revoked or expired" in line


def test_the_roles_of_the_token_apply(runner: CliRunner, tmp_path: Path) -> None:
    analyst = staff_token(tmp_path / "data" / "licmon.db", "ana", "analyst")
    assert "not allow" in one_line_refusal(invoke(runner, *PERSONAL_COMMANDS[0], token=analyst))
    assert "not allow" in one_line_refusal(invoke(runner, "hold", "list", token=analyst))


def test_the_audit_names_the_person_of_the_token(runner: CliRunner, tmp_path: Path) -> None:
    token = staff_token(tmp_path / "data" / "licmon.db", "dana", "dpo")
    token_file = tmp_path / "token"
    token_file.write_text(token + "\n")
    exported = invoke(runner, *PERSONAL_COMMANDS[0], "--token-file", str(token_file))
    assert exported.exit_code == 0, exported.output
    held = invoke(runner, *PERSONAL_COMMANDS[6], "--json", token=token)
    assert held.exit_code == 0, held.output
    entries = json.loads(invoke(runner, "audit", "list", "--json").stdout)
    users = {
        u["username"]: u["id"] for u in json.loads(invoke(runner, "user", "list", "--json").stdout)
    }
    mine = {e["action"] for e in entries if e["actor"] == f"user:{users['dana']}"}
    assert {"personal_data.read", "hold.add"} <= mine, entries
