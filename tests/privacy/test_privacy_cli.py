"""The privacy commands through click's CliRunner."""

import asyncio
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from licmon.cli import main
from licmon.domain.checkin import checkin_command
from licmon.domain.models import NO_GEO, CheckinRequest
from licmon.domain.network import parse_ip
from licmon.store.sqlite import SqliteStore
from tests.staffer import staff_token


@pytest.fixture
def run(tmp_path: Path) -> Any:
    runner = CliRunner(env={"LICMON_DATA_DIR": str(tmp_path / "data"), "LICMON_CONFIG": ""})

    def invoke(*args: str) -> Result:
        return runner.invoke(main, list(args))

    invoke("org", "add", "acme")
    invoke("product", "add", "viewer")
    invoke("license", "add", "--org", "acme", "--product", "viewer", "--seats", "5")
    asyncio.run(_checkins(tmp_path / "data" / "licmon.db"))
    runner.env["LICMON_TOKEN"] = staff_token(tmp_path / "data" / "licmon.db")
    return invoke


async def _checkins(path: Path) -> None:
    store = SqliteStore(path)
    await store.open()
    lic = await store.get_license(1)
    for machine, address in (("machine-0001", "203.0.113.7"), ("machine-0002", "2001:db8::7")):
        req = CheckinRequest("k", "viewer", machine, "n" * 22)
        ip = parse_ip(address)
        assert ip is not None
        await store.checkin(checkin_command(lic, req, ip, NO_GEO, int(store._now())))
    await store.close()


def _ok(result: Result) -> str:
    assert result.exit_code == 0, result.output
    return result.stdout


def test_dsr_export_writes_an_owner_only_file(run: Any, tmp_path: Path) -> None:
    out = tmp_path / "export.json"
    _ok(
        run(
            "dsr",
            "export",
            "--address",
            "203.0.113.7",
            "--justification",
            "request DSR-77",
            "--out",
            str(out),
        )
    )
    assert out.stat().st_mode & 0o777 == 0o600
    records = json.loads(out.read_text())["records"]
    assert [r["machine"] for r in records] == ["machine-0001"]


def test_dsr_needs_one_subject_and_a_justification(run: Any) -> None:
    result = run("dsr", "export", "--justification", "request DSR-77")
    assert result.exit_code != 0 and "exactly one subject" in result.output
    result = run("dsr", "export", "--license", "1")
    assert result.exit_code != 0 and "--justification" in result.output
    result = run("dsr", "erase", "--address", "not-an-ip", "--justification", "request DSR-77")
    assert result.exit_code != 0 and "IPv4 or IPv6" in result.output


def test_hold_erase_release_flow(run: Any) -> None:
    hold = json.loads(
        _ok(
            run(
                "hold",
                "add",
                "--license",
                "1",
                "--reason",
                "litigation",
                "--citation",
                "Case 5",
                "--json",
            )
        )
    )
    receipt = json.loads(
        _ok(
            run(
                "dsr",
                "erase",
                "--yes",
                "--machine",
                "machine-0002",
                "--justification",
                "request DSR-78",
                "--json",
            )
        )
    )
    assert receipt["restricted"] == 1 and receipt["erased"] == 0
    assert "1" in _ok(run("hold", "list"))
    released = json.loads(_ok(run("hold", "release", str(hold["id"]), "--json")))
    assert released["erased_after_release"] == 1
    assert run("hold", "release", str(hold["id"])).exit_code != 0


def test_retention_run_and_status(run: Any) -> None:
    report = json.loads(_ok(run("retention", "run", "--json")))
    assert report["violations"] == 0
    runs = json.loads(_ok(run("retention", "status", "--json")))
    assert runs[0]["id"] == report["id"]


def test_audit_verify_ok_then_names_the_tampered_entry(run: Any, tmp_path: Path) -> None:
    assert "OK" in _ok(run("audit", "verify"))
    entries = json.loads(_ok(run("audit", "list", "--json")))
    by_cli = [e for e in entries if e["actor"] != "test"]  # "test": the staff_token fixture
    assert by_cli and all(e["actor"].startswith("cli:") for e in by_cli)
    conn = sqlite3.connect(tmp_path / "data" / "licmon.db")
    conn.execute("DROP TRIGGER audit_no_update")
    conn.execute("UPDATE audit SET action = 'nothing' WHERE id = 2")
    conn.commit()
    conn.close()
    result = run("audit", "verify")
    assert result.exit_code == 1 and "broken at entry 2" in result.output


def test_org_set_export_and_erase(run: Any, tmp_path: Path) -> None:
    changed = json.loads(_ok(run("org", "set", "acme", "--ip-precision", "network", "--json")))
    assert changed["ip_precision"] == "network"
    out = tmp_path / "acme.json"
    _ok(
        run(
            "org",
            "export",
            "acme",
            "--justification",
            "customer leaving, ticket 9",
            "--out",
            str(out),
        )
    )
    assert len(json.loads(out.read_text())["connections"]) == 2
    receipt = json.loads(
        _ok(
            run(
                "org",
                "erase",
                "--yes",
                "acme",
                "--justification",
                "customer leaving, ticket 9",
                "--yes",
                "--json",
            )
        )
    )
    assert receipt["organization_erased"] is True
    assert json.loads(_ok(run("org", "list", "--json"))) == []
