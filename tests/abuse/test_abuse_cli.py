"""licmon flags | geoip | simulate through click's CliRunner, and geoip reload against a
real `licmon serve`."""

import asyncio
import json
import os
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from licmon.cli import main
from licmon.domain.models import LicenseStatus
from licmon.store.sqlite import SqliteStore
from tests import serverproc
from tests.abuse.conftest import draft
from tests.abuse.geofiles import all_files, city_file
from tests.staffer import staff_token


@pytest.fixture
def run(tmp_path: Path) -> Any:
    files = all_files(tmp_path / "geoip")
    env = {
        "LICMON_DATA_DIR": str(tmp_path / "data"),
        "LICMON_CONFIG": "",
        "LICMON_GEOIP_CITY": str(files["city"]),
        "LICMON_GEOIP_ASN": str(files["asn"]),
        "LICMON_GEOIP_ANONYMOUS": str(tmp_path / "absent.mmdb"),
        "LICMON_SUSPEND_ON_CONFIRM": "true",
    }
    runner = CliRunner(env=env)

    def invoke(*args: str) -> Result:
        return runner.invoke(main, list(args))

    invoke("org", "add", "acme")
    invoke("product", "add", "viewer")
    invoke("license", "add", "--org", "acme", "--product", "viewer")
    asyncio.run(_raise(tmp_path / "data" / "licmon.db"))
    runner.env["LICMON_TOKEN"] = staff_token(tmp_path / "data" / "licmon.db")
    return invoke


async def _raise(path: Path) -> None:
    store = SqliteStore(path)
    await store.open()
    # raised now: evidence past its deadline is readable only for legal.hold
    await store.raise_flags([draft(at=int(time.time()), network="198.51.100.0/24")])
    await store.close()


def ok(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return result.stdout


def test_flags_list_show_and_decide(run: Any, tmp_path: Path) -> None:
    (flag,) = json.loads(ok(run("flags", "list", "--json")))
    assert flag["kind"] == "machine_sharing" and "evidence" not in flag
    assert "machine_sharing" in ok(run("flags", "list"))
    hidden = json.loads(ok(run("flags", "show", "1", "--json")))
    assert "not shown" in hidden["evidence"]
    shown = json.loads(ok(run("flags", "show", "1", "--justification", "ticket ABUSE-7", "--json")))
    assert shown["evidence"]["network"] == "198.51.100.0/24"
    ok(run("flags", "ack", "1", "--reason", "looking into it"))
    confirmed = json.loads(ok(run("flags", "confirm", "1", "--reason", "forum leak", "--json")))
    assert confirmed["status"] == "confirmed" and confirmed["decided_by"].startswith("cli:")
    status = json.loads(ok(run("license", "show", "1", "--json")))["status"]
    assert status == LicenseStatus.SUSPENDED.value
    assert json.loads(ok(run("flags", "list", "--json"))) == []
    assert len(json.loads(ok(run("flags", "list", "--status", "all", "--json")))) == 1


def test_confirm_suspends_when_asked_or_when_the_setting_is_on(run: Any, tmp_path: Path) -> None:
    """``run`` has suspend_on_confirm on; with it off, only ``--suspend`` suspends."""
    quiet = CliRunner(
        env={
            "LICMON_DATA_DIR": str(tmp_path / "data"),
            "LICMON_CONFIG": "",
            "LICMON_SUSPEND_ON_CONFIRM": "false",
        }
    )

    def status() -> str:
        shown = ok(quiet.invoke(main, ["license", "show", "1", "--json"]))
        return str(json.loads(shown)["status"])

    ok(quiet.invoke(main, ["flags", "confirm", "1", "--reason", "forum leak"]))
    assert status() == LicenseStatus.ACTIVE.value
    asyncio.run(_raise(tmp_path / "data" / "licmon.db"))
    ok(quiet.invoke(main, ["flags", "confirm", "2", "--reason", "forum leak", "--suspend"]))
    assert status() == LicenseStatus.SUSPENDED.value
    assert "--suspend" in ok(quiet.invoke(main, ["flags", "confirm", "--help"]))
    assert "--suspend" not in ok(quiet.invoke(main, ["flags", "ack", "--help"]))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("flags", "dismiss", "1", "--reason", "x"), "needs a reason"),
        (("flags", "show", "99"), "No flag 99."),
        (("flags", "show", "1", "--justification", "why"), "justification"),
        (("geoip", "lookup", "not-an-address"), "not an IPv4 or IPv6 address"),
        (("geoip", "reload"), "no licmon serve is running"),
    ],
)
def test_bad_input_is_one_line_and_a_failure(run: Any, args: tuple[str, ...], message: str) -> None:
    result = run(*args)
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_an_id_past_sqlite_integers_is_a_usage_error(run: Any) -> None:
    for args in (("flags", "show", "99999999999999999999"), ("flags", "list", "--license", "0")):
        result = run(*args)
        assert result.exit_code == 2, result.output
        assert "not in the range" in result.output and "unexpected" not in result.output


def test_geoip_info_and_lookup(run: Any) -> None:
    rows = {r["slot"]: r for r in json.loads(ok(run("geoip", "info", "--json")))}
    assert rows["city"]["type"] == "GeoIP2-City" and rows["city"]["nodes"] > 0
    assert rows["city"]["built"].endswith("Z")
    assert rows["anonymous"]["state"] == "missing"
    found = json.loads(ok(run("geoip", "lookup", "81.2.69.142", "--json")))
    assert found["network"] == "81.2.69.0/24" and found["city"] == "London"
    assert found["asn"] == 20712 and found["databases_missing"] == ["anonymous"]
    assert "shared_range: True" in ok(run("geoip", "lookup", "100.64.3.4"))


def test_a_corrupt_database_is_one_line_naming_the_file(run: Any, tmp_path: Path) -> None:
    (tmp_path / "geoip" / "city.mmdb").write_bytes(b"corrupt")
    result = run("geoip", "info")
    assert result.exit_code == 1 and "city.mmdb" in result.output
    assert "Traceback" not in result.output


def test_simulate_scores_every_detector(run: Any) -> None:
    report = json.loads(ok(run("simulate", "--licenses", "40", "--json")))
    assert report["requests"] > 1000 and report["genuine_requests_throttled"] == 0
    for detector in report["detectors"]:
        assert detector["positives"] > 0, detector
        assert detector["precision"] >= 0.95 and detector["recall"] >= 0.90, detector


@pytest.mark.slow
def test_geoip_reload_reaches_a_running_server(tmp_path: Path) -> None:
    files = all_files(tmp_path / "geoip")
    data_dir = tmp_path / "data"
    serverproc.seed(data_dir)
    port = serverproc.free_port()
    proc = serverproc.start(
        data_dir, port, "--config", str(_config(tmp_path, files, geoip_check_seconds=0))
    )
    try:
        before = _readyz(port)["geoip_city"]
        more = (("192.0.2.0/24", ("FR", "Paris", 48.86, 2.35, 20)),)
        os.replace(city_file(tmp_path / "new.mmdb", more), files["city"])
        runner = CliRunner(env={"LICMON_CONFIG": str(tmp_path / "licmon.toml")})
        result = runner.invoke(main, ["geoip", "reload", "--data-dir", str(data_dir)])
        assert result.exit_code == 0 and f"pid {proc.pid}" in result.output
        deadline = time.monotonic() + 10
        while _readyz(port)["geoip_city"] == before and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _readyz(port)["geoip_city"] != before
    finally:
        proc.terminate()
        proc.wait(10)


def _config(tmp_path: Path, files: dict[str, Path], **more: Any) -> Path:
    lines = [f'geoip_{slot} = "{path}"' for slot, path in files.items()]
    lines += [f"{k} = {v}" for k, v in more.items()]
    path = tmp_path / "licmon.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def _readyz(port: int) -> dict[str, str]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as response:
        return json.loads(response.read())["checks"]  # type: ignore[no-any-return]
