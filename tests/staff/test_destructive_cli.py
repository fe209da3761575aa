"""Destructive commands ask first (or take --yes), name what will go, and record a reason:
`license revoke`, `license suspend`, `dsr erase`."""

import json
from pathlib import Path

from click.testing import CliRunner

from licmon.cli import main
from tests.staffer import staff_token


def _runner(tmp_path: Path) -> CliRunner:
    env = {"LICMON_DATA_DIR": str(tmp_path / "data"), "LICMON_CONFIG": ""}
    runner = CliRunner(env=env)
    for args in (
        ("org", "add", "acme"),
        ("product", "add", "viewer"),
        ("license", "add", "--org", "acme", "--product", "viewer"),
    ):
        assert runner.invoke(main, list(args)).exit_code == 0
    token = staff_token(tmp_path / "data" / "licmon.db")  # personal data needs a person
    return CliRunner(env={**env, "LICMON_TOKEN": token})


def _status(runner: CliRunner) -> str:
    shown = runner.invoke(main, ["license", "show", "1", "--json"])
    return str(json.loads(shown.output)["status"])


def test_revoke_asks_and_needs_a_reason(tmp_path: Path) -> None:
    runner = _runner(tmp_path)
    no_reason = runner.invoke(main, ["license", "revoke", "1", "--yes"])
    assert no_reason.exit_code == 2 and "--reason" in no_reason.output
    declined = runner.invoke(main, ["license", "revoke", "1", "--reason", "fraud"], input="n\n")
    assert declined.exit_code == 1 and "Revoke license 1 for good?" in declined.output
    assert "revocation is final" in declined.output
    assert _status(runner) == "active"
    done = runner.invoke(main, ["license", "revoke", "1", "--reason", "chargeback C-9", "--yes"])
    assert done.exit_code == 0, done.output
    assert _status(runner) == "revoked"
    audit = runner.invoke(main, ["audit", "list", "--target", "license:1", "--json"])
    entries = [e for e in json.loads(audit.output) if e["action"] == "license.status"]
    assert entries[0]["details"]["reason"] == "chargeback C-9"


def test_suspend_asks(tmp_path: Path) -> None:
    runner = _runner(tmp_path)
    asked = runner.invoke(main, ["license", "suspend", "1", "--reason", "overuse"], input="y\n")
    assert asked.exit_code == 0 and "Suspend license 1?" in asked.output
    assert _status(runner) == "suspended"


def test_dsr_erase_asks(tmp_path: Path) -> None:
    runner = _runner(tmp_path)
    erase = ["dsr", "erase", "--license", "1", "--justification", "request DSR-1"]
    declined = runner.invoke(main, erase, input="n\n")
    assert declined.exit_code == 1
    assert "Erase every record about license 1" in declined.output
    done = runner.invoke(main, [*erase, "--yes"])
    assert done.exit_code == 0, done.output
