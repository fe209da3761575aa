"""CLI tables and receipts print times as ISO 8601 UTC (with a Z), never raw epochs."""

import re
from pathlib import Path

from click.testing import CliRunner

from licmon.cli import main
from tests.staffer import staff_token

EPOCH = re.compile(r"\b1[6-9]\d{8}\b")
ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def test_tables_and_receipts_print_iso_times(tmp_path: Path) -> None:
    env = {"LICMON_DATA_DIR": str(tmp_path / "data"), "LICMON_CONFIG": ""}
    runner = CliRunner(env=env)
    for args in (
        ("org", "add", "acme"),
        ("product", "add", "viewer"),
        ("license", "add", "--org", "acme", "--product", "viewer"),
    ):
        assert runner.invoke(main, list(args)).exit_code == 0
    token = staff_token(tmp_path / "data" / "licmon.db")  # hold commands act as a person
    runner = CliRunner(env={**env, "LICMON_TOKEN": token})
    for args in (
        (
            "hold",
            "add",
            "--license",
            "1",
            "--reason",
            "case",
            "--citation",
            "C-1",
            "--expires",
            "2999-01-01",
        ),
        ("retention", "run"),
    ):
        assert runner.invoke(main, list(args)).exit_code == 0
    for args in (("hold", "list"), ("audit", "list"), ("retention", "status")):
        out = runner.invoke(main, list(args)).output
        assert not EPOCH.search(out), (args, out)
        assert ISO.search(out), (args, out)
    assert "2999-01-01T00:00:00Z" in runner.invoke(main, ["hold", "list"]).output


def test_init_prints_next_steps(tmp_path: Path) -> None:
    env = {"LICMON_DATA_DIR": str(tmp_path / "data"), "LICMON_CONFIG": ""}
    out = CliRunner(env=env).invoke(main, ["init"]).output
    assert "Next steps:" in out
    for step in ("licmon org add", "licmon license add", "licmon user add", "licmon serve"):
        assert step in out
