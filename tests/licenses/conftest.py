"""The command line on a temporary data directory with an organization and a product."""

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from licmon.cli import main
from licmon.signing import KeyRing

MACHINE = "lab-pc-000001"


class Cli:
    def __init__(self, tmp_path: Path) -> None:
        self.tmp = tmp_path
        self.data = tmp_path / "data"
        self.runner = CliRunner(env={"LICMON_DATA_DIR": str(self.data), "LICMON_CONFIG": ""})

    def __call__(self, *args: str) -> Result:
        return self.runner.invoke(main, list(args))

    def ok(self, *args: str) -> Any:
        result = self(*args)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout) if "--json" in args else result.stdout

    def license(self, *terms: str) -> dict[str, Any]:
        return dict(
            self.ok("license", "add", "--org", "acme", "--product", "viewer", *terms, "--json")
        )

    def request(self, key: str, machine: str = MACHINE, name: str = "req.json") -> Path:
        out = self.tmp / name
        self.ok("activation", "request", "--key", key, "--product", "viewer",
                "--machine", machine, "--out", str(out))  # fmt: skip
        return out

    def issue(self, request: Path, days: int, name: str = "license.lic") -> Result:
        out = self.tmp / name
        return self("activation", "issue", str(request), "--days", str(days), "--out", str(out))

    def jwks_file(self) -> Path:
        path = self.tmp / "jwks.json"
        path.write_text(json.dumps(KeyRing.load(self.data / "signing").jwks()))
        return path

    def usage(self, license_id: int) -> dict[str, Any]:
        return dict(self.ok("license", "show", str(license_id), "--json"))


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    cli = Cli(tmp_path)
    cli.ok("init")
    cli.ok("org", "add", "acme", "--json")
    cli.ok("product", "add", "viewer", "--json")
    return cli
