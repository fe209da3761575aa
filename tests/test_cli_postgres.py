"""The command line with ``database_url`` set: the same commands, on PostgreSQL."""

import json
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner, Result

from licmon.cli import main


@pytest.fixture
def run(tmp_path: Path, pg_cluster: Any) -> Any:
    url = pg_cluster.empty_database()  # licmon init sets it up
    env = {
        "LICMON_DATA_DIR": str(tmp_path / "data"),
        "LICMON_CONFIG": "",
        "LICMON_DATABASE_URL": url,
    }
    runner = CliRunner(env=env)

    def invoke(*args: str, data_dir: Path | None = None) -> Result:
        extra = {"LICMON_DATA_DIR": str(data_dir)} if data_dir else {}
        return runner.invoke(main, list(args), env=extra)

    invoke.url = url  # type: ignore[attr-defined]
    return invoke


def _json(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_init_and_the_catalog_commands_work_on_postgresql(run: Any, tmp_path: Path) -> None:
    assert run("init").exit_code == 0
    assert not (tmp_path / "data" / "licmon.db").exists()  # no SQLite file beside it
    assert _json(run("org", "add", "acme", "--name", "Acme Ltd", "--json"))["slug"] == "acme"
    assert _json(run("product", "add", "viewer", "--json"))["code"] == "viewer"
    created = _json(
        run("license", "add", "--org", "acme", "--product", "viewer", "--seats", "3", "--json")
    )
    listed = _json(run("license", "list", "--json"))
    assert [lic["id"] for lic in listed] == [created["id"]]
    with psycopg.connect(run.url) as conn:
        (orgs,) = conn.execute("SELECT count(*) FROM orgs").fetchone() or (0,)
    assert orgs == 1


def test_a_second_node_with_another_pepper_is_refused_in_one_line(run: Any, tmp_path: Path) -> None:
    assert run("init").exit_code == 0
    other = run("org", "list", data_dir=tmp_path / "other")
    assert other.exit_code != 0
    lines = other.output.strip().splitlines()
    assert len(lines) == 1 and "pepper differs" in lines[0]
    assert "Traceback" not in other.output


def test_backup_and_restore_say_that_postgresql_has_its_own_tools(run: Any, tmp_path: Path) -> None:
    assert run("init").exit_code == 0
    result = run("backup", "create", str(tmp_path / "copy"))
    assert result.exit_code != 0
    assert "pg_dump" in result.output and "Traceback" not in result.output
    (tmp_path / "some.backup").write_bytes(b"x")
    restored = run("restore", str(tmp_path / "some.backup"))
    assert restored.exit_code != 0 and "pg_dump" in restored.output
