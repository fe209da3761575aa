"""licmon webhook ...: the secret printed once and stored sealed, listings, errors as one
line, destructive commands confirmed."""

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from licmon.cli import main


@pytest.fixture
def run(tmp_path: Path) -> Any:
    runner = CliRunner(env={"LICMON_DATA_DIR": str(tmp_path / "data"), "LICMON_CONFIG": ""})

    def invoke(*args: str, given: str | None = None) -> Result:
        return runner.invoke(main, list(args), input=given)

    assert invoke("init").exit_code == 0
    return invoke


def ok(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def a_license(run: Any) -> None:
    assert run("org", "add", "acme").exit_code == 0
    assert run("product", "add", "viewer").exit_code == 0
    assert run("license", "add", "--org", "acme", "--product", "viewer").exit_code == 0


def test_add_prints_the_secret_once_and_stores_it_sealed(run: Any, tmp_path: Path) -> None:
    hook = ok(
        run(
            "webhook",
            "add",
            "https://hooks.example/in",
            "--event",
            "license.created",
            "--event",
            "flag.raised",
            "--json",
        )
    )
    assert hook["secret"].startswith("whsec_")
    assert hook["events"] == ["license.created", "flag.raised"]
    listed = run("webhook", "list")
    assert listed.exit_code == 0 and "https://hooks.example/in" in listed.output
    assert "whsec_" not in listed.output and "secret" not in ok(run("webhook", "list", "--json"))[0]
    database = (tmp_path / "data" / "licmon.db").read_bytes()
    assert hook["secret"].encode() not in database
    assert hook["secret"][6:].encode() not in database


def test_deliveries_disable_enable_redeliver_delete(run: Any) -> None:
    hook = ok(
        run("webhook", "add", "https://hooks.example/in", "--event", "license.created", "--json")
    )
    a_license(run)
    (delivery,) = ok(run("webhook", "deliveries", str(hook["id"]), "--json"))
    assert delivery["event"] == "license.created" and delivery["status"] == "pending"
    assert ok(run("webhook", "disable", str(hook["id"]), "--json"))["enabled"] is False
    assert ok(run("webhook", "enable", str(hook["id"]), "--json"))["enabled"] is True
    again = ok(run("webhook", "redeliver", str(hook["id"]), str(delivery["id"]), "--json"))
    assert again["webhook_id"] == delivery["webhook_id"]
    refused = run("webhook", "delete", str(hook["id"]), given="n\n")
    assert refused.exit_code != 0 and ok(run("webhook", "list", "--json"))
    assert run("webhook", "delete", str(hook["id"]), "--yes").exit_code == 0
    assert ok(run("webhook", "list", "--json")) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("add", "http://hooks.example/in", "--event", "license.created"), "https URL"),
        (("add", "https://u:p@hooks.example/in", "--event", "license.created"), "credentials"),
        (("add", "https://hooks.example/in", "--event", "license.eaten"), "license.eaten"),
        (("disable", "99"), "No webhook 99"),
        (("redeliver", "1", "5"), "No webhook delivery 5"),
    ],
)
def test_errors_are_one_line_and_a_nonzero_exit(
    run: Any, args: tuple[str, ...], message: str
) -> None:
    result = run("webhook", *args)
    assert result.exit_code != 0
    assert message in result.output and "Traceback" not in result.output
    assert ok(run("webhook", "list", "--json")) == []
