"""One table of limits for the license-model terms (the domain's): the admin API, its
OpenAPI description, the command line and the store accept and refuse the same values."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from licmon.cli import main
from licmon.domain.node_locks import TERM_RANGES
from tests.admin.conftest import Staff

NEW = {"org": "acme", "product": "viewer", "seats": 2}


def refusal(name: str) -> str:
    low, high = TERM_RANGES[name]
    return f"must be a whole number from {low} to {high}."


async def test_the_api_refuses_a_model_term_out_of_the_domains_range(staff: Staff) -> None:
    api = staff.admin
    _, lic = await api.post("/licenses", NEW)
    for name, (low, high) in TERM_RANGES.items():
        for value in (low - 1, high + 1):
            status, answer = await api.post("/licenses", {**NEW, name: value})
            assert status == 400, (name, value, answer)
            assert answer == {"error": "bad_request", "message": f"Field '{name}' {refusal(name)}"}
            status, answer, _ = await api.call("PATCH", f"/licenses/{lic['id']}", {name: value})
            assert status == 400 and answer["message"] == f"Field '{name}' {refusal(name)}"
        status, edge, _ = await api.call("PATCH", f"/licenses/{lic['id']}", {name: high})
        assert status == 200 and edge[name] == high, edge


async def test_the_openapi_document_states_the_same_limits(staff: Staff) -> None:
    document = await (await staff.world.client.get("/openapi.json")).json()
    for schema in ("NewLicense", "TermsChange"):
        properties = document["components"]["schemas"][schema]["properties"]
        for name, (low, high) in TERM_RANGES.items():
            shown = properties[name]
            assert (shown["minimum"], shown["maximum"]) == (low, high), (schema, name)


@pytest.fixture
def cli(tmp_path: Path) -> CliRunner:
    runner = CliRunner(env={"LICMON_DATA_DIR": str(tmp_path / "data"), "LICMON_CONFIG": ""})
    for args in (["init"], ["org", "add", "acme"], ["product", "add", "viewer"]):
        assert runner.invoke(main, args).exit_code == 0
    return runner


def test_the_cli_refuses_the_same_values_in_one_plain_line(cli: CliRunner) -> None:
    add = ["license", "add", "--org", "acme", "--product", "viewer", "--json"]
    for name, (low, high) in TERM_RANGES.items():
        flag = "--" + name.replace("_", "-")
        for value in (low - 1, high + 1, "many"):
            result = cli.invoke(main, [*add, flag, str(value)])
            assert result.exit_code == 1, (flag, value, result.output)
            assert result.output.strip().splitlines() == [f"Error: {flag} {refusal(name)}"]
        accepted = cli.invoke(main, [*add, flag, str(high)])
        assert accepted.exit_code == 0, (flag, accepted.output)
    help_text = cli.invoke(main, ["license", "add", "--help"]).output
    assert "0-1000" in help_text and "1-3650" in help_text
