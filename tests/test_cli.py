"""The command line through click's CliRunner, on a temporary data directory."""

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from licmon.cli import main
from licmon.domain.license_keys import is_well_formed


@pytest.fixture
def run(tmp_path: Path) -> Any:
    runner = CliRunner(env={"LICMON_DATA_DIR": str(tmp_path / "data"), "LICMON_CONFIG": ""})

    def invoke(*args: str) -> Result:
        return runner.invoke(main, list(args))

    return invoke


def _json(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_init_creates_an_owner_only_data_directory(run: Any, tmp_path: Path) -> None:
    result = run("init")
    assert result.exit_code == 0
    data = tmp_path / "data"
    assert (data / "licmon.db").exists() and (data / "pepper").exists()
    assert data.stat().st_mode & 0o777 == 0o700
    assert (data / "pepper").stat().st_mode & 0o777 == 0o600
    assert (data / "licmon.db").stat().st_mode & 0o777 == 0o600
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in (data / "signing").glob("*.pem"))


def test_org_product_license_round_trip(run: Any) -> None:
    assert _json(run("org", "add", "acme", "--name", "Acme Ltd", "--json"))["slug"] == "acme"
    assert _json(run("product", "add", "viewer", "--json"))["code"] == "viewer"
    created = _json(
        run(
            "license",
            "add",
            "--org",
            "acme",
            "--product",
            "viewer",
            "--seats",
            "3",
            "--countries",
            "de,at",
            "--entitlement",
            "export",
            "--valid-until",
            "2030-01-01",
            "--json",
        )
    )
    assert is_well_formed(created["key"])
    assert created["allowed_countries"] == ["AT", "DE"]
    assert created["valid_until"] == "2030-01-01T00:00:00Z"
    listed = _json(run("license", "list", "--json"))
    assert [lic["id"] for lic in listed] == [created["id"]]
    assert "key" not in listed[0]
    shown = _json(run("license", "show", str(created["id"]), "--json"))
    assert shown["seats_in_use"] == 0 and shown["entitlements"] == ["export"]
    assert [o["slug"] for o in _json(run("org", "list", "--json"))] == ["acme"]
    assert [p["code"] for p in _json(run("product", "list", "--json"))] == ["viewer"]


def test_key_is_printed_once_and_never_stored(run: Any, tmp_path: Path) -> None:
    run("org", "add", "acme")
    run("product", "add", "viewer")
    key = _json(run("license", "add", "--org", "acme", "--product", "viewer", "--json"))["key"]
    raw = b"".join(p.read_bytes() for p in (tmp_path / "data").glob("licmon.db*"))
    assert key.encode() not in raw and key.replace("-", "").encode() not in raw[3:]
    assert key not in run("license", "list").output


def test_status_changes_and_final_revocation(run: Any) -> None:
    run("org", "add", "acme")
    run("product", "add", "viewer")
    lic = _json(run("license", "add", "--org", "acme", "--product", "viewer", "--json"))["id"]
    assert (
        _json(run("license", "suspend", str(lic), "--reason", "test", "--yes", "--json"))["status"]
        == "suspended"
    )
    assert _json(run("license", "resume", str(lic), "--json"))["status"] == "active"
    assert (
        _json(run("license", "revoke", str(lic), "--reason", "test", "--yes", "--json"))["status"]
        == "revoked"
    )
    result = run("license", "resume", str(lic))
    assert result.exit_code != 0 and "revocation is final" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("org", "add", "Bad Slug!"), "is not an organization slug"),
        (("product", "add", "UPPER"), "is not a product code"),
        (("license", "add", "--org", "ghost", "--product", "viewer"), "No organization 'ghost'"),
        (("license", "add", "--org", "acme", "--product", "ghost"), "No product 'ghost'"),
        (
            ("license", "add", "--org", "acme", "--product", "viewer", "--valid-until", "soon"),
            "is not an ISO date",
        ),
        (
            ("license", "add", "--org", "acme", "--product", "viewer", "--countries", "Germany"),
            "not ISO country codes",
        ),
        (("license", "add", "--org", "acme", "--product", "viewer", "--seats", "0"), "--seats"),
        (("license", "show", "999"), "No license 999"),
        (("license", "show", "abc"), "is not a valid integer"),
        (("org", "add", "acme"), "already an organization 'acme'"),
    ],
)
def test_user_errors_are_one_line_and_a_nonzero_exit(
    run: Any, args: tuple[str, ...], message: str
) -> None:
    run("org", "add", "acme")
    run("product", "add", "viewer")
    result = run(*args)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output


def test_config_shows_effective_settings(run: Any, tmp_path: Path) -> None:
    rows = {r["name"]: r for r in _json(run("config", "--json"))}
    assert rows["data_dir"]["value"] == str(tmp_path / "data")
    assert rows["port"]["env"] == "LICMON_PORT"


def test_bad_config_file_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("port = 'x'\n")
    result = CliRunner().invoke(main, ["config", "--config", str(bad)])
    assert result.exit_code == 1
    assert result.output.strip() == "Error: setting port has an invalid value for type int"
