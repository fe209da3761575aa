"""The abuse report: its rules, its contents in HTML, CSV and JSON, from the console, the
token API and the command line; never an address or a flag's evidence."""

import asyncio
import csv
import io
import json
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from licmon.cli import main
from licmon.domain.detectors.events import FlagDraft, FlagKind, Severity
from licmon.domain.flags import FlagRaise
from licmon.domain.reports import (
    AbuseReport,
    FlagSummary,
    LicenseFindings,
    as_csv,
    as_json,
    parse_since,
    suggest_action,
)
from licmon.errors import BadRequest
from licmon.store.sqlite import SqliteStore
from tests.staff.conftest import StaffWorld
from tests.staff.fixtures import GLOBEX_MARKERS, build_scene

EVIDENCE_MARKER = "198.51.100"


def findings(*flags: tuple[str, str, str], peak: int = 1, seats: int = 5) -> LicenseFindings:
    summaries = tuple(
        FlagSummary(i, kind, severity, status, 1, 0, 0)
        for i, (kind, severity, status) in enumerate(flags)
    )
    return LicenseFindings(
        1,
        "acme",
        "Acme",
        "viewer",
        "active",
        seats,
        peak,
        0,
        2,
        ("DE",),
        {"DE": 3, "FR": 1},
        summaries,
    )


@pytest.mark.parametrize(
    ("flags", "peak", "action"),
    [
        ((("seat_overuse", "high", "dismissed"),), 1, "none"),
        ((("seat_overuse", "high", "confirmed"),), 1, "suspend"),
        ((("dead_key", "medium", "open"),), 1, "leaked"),
        ((("anonymizer", "low", "open"),), 9, "more seats"),
        ((("machine_sharing", "medium", "open"),), 1, "more seats"),
        ((("anonymizer", "low", "open"),), 1, "review where"),  # FR is outside DE
    ],
)
def test_suggested_actions(flags: tuple[tuple[str, str, str], ...], peak: int, action: str) -> None:
    assert action in suggest_action(findings(*flags, peak=peak))


def test_periods() -> None:
    assert parse_since("30d", 1_000_000_000) == 1_000_000_000 - 30 * 86400
    assert parse_since("12h", 100_000) == 100_000 - 12 * 3600
    for bad in ("", "30", "-1d", "1y", "9999w"):
        with pytest.raises(BadRequest):
            parse_since(bad, 10**9)


def test_csv_and_json_shapes() -> None:
    lic = findings(("territory", "medium", "open"), ("territory", "low", "acknowledged"))
    report = AbuseReport(0, 10, None, detailed=False, licenses=(lic,))
    rows = list(csv.DictReader(io.StringIO(as_csv(report))))
    assert rows[0]["kinds"] == "territory:2" and rows[0]["outside_territory"] == "FR"
    assert rows[0]["highest_severity"] == "medium" and rows[0]["countries"] == "DE:3 FR:1"
    assert "flags" not in as_json(report)["licenses"][0]  # summaries only
    detailed = AbuseReport(0, 10, None, detailed=True, licenses=(lic,))
    assert len(as_json(detailed)["licenses"][0]["flags"]) == 2


async def test_the_console_report_in_every_format(sworld: StaffWorld) -> None:
    scene = await build_scene(sworld)
    analyst = await scene.browser("analyst")
    page = await (await analyst.get("/staff/reports/abuse?since=7d")).text()
    assert f"License #{scene.acme_license}" in page and f"License #{scene.globex_license}" in page
    assert "peak 3 of 313" in page
    data = await analyst.get("/staff/reports/abuse?since=7d&org=acme&format=json")
    assert data.headers["Content-Disposition"].endswith('.json"')
    body = json.loads(await data.text())
    (lic,) = body["licenses"]
    assert lic["license"] == scene.acme_license and lic["org"] == "acme"
    assert lic["seats"] == 313 and lic["peak_seats"] == 3 and lic["machines_seen"] == 3
    assert len(lic["flags"]) == len(scene.acme_flags) and lic["suggested_action"]
    table = await (await analyst.get("/staff/reports/abuse?format=csv")).text()
    assert [row["license"] for row in csv.DictReader(io.StringIO(table))] == [
        str(scene.acme_license),
        str(scene.globex_license),
    ]
    printable = await analyst.get("/staff/reports/abuse?format=html")
    text = await printable.text()
    assert printable.headers["Content-Type"].startswith("text/html") and "<style>" in text
    for answer in (page, json.dumps(body), table, text):
        assert EVIDENCE_MARKER not in answer


async def test_support_and_customers_get_summaries(sworld: StaffWorld) -> None:
    scene = await build_scene(sworld)
    support = await scene.browser("support")
    body = json.loads(await (await support.get("/staff/reports/abuse?format=json")).text())
    assert all("flags" not in lic for lic in body["licenses"]) and len(body["licenses"]) == 2
    customer = await scene.browser("customer")
    mine = await (await customer.get("/staff/reports/abuse?format=json")).text()
    assert [lic["org"] for lic in json.loads(mine)["licenses"]] == ["acme"]
    for marker in GLOBEX_MARKERS:
        assert marker not in mine


async def test_the_report_through_the_token_api(sworld: StaffWorld) -> None:
    scene = await build_scene(sworld)
    headers = {"Authorization": f"Bearer {scene.tokens['analyst']}"}
    answer = await sworld.client.get("/staff/api/reports/abuse?since=7d", headers=headers)
    assert answer.status == 200 and len((await answer.json())["licenses"]) == 2
    as_table = await sworld.client.get("/staff/api/reports/abuse?format=csv", headers=headers)
    assert (await as_table.text()).startswith("license,organization")
    bad = await sworld.client.get("/staff/api/reports/abuse?format=pdf", headers=headers)
    assert bad.status == 400 and (await bad.json())["error"] == "bad_request"
    tokens = await sworld.store.list_api_tokens("analyst")
    assert tokens[0]["last_used_at"] is not None


def test_the_report_from_the_command_line(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    runner = CliRunner(env={"LICMON_DATA_DIR": str(data_dir), "LICMON_CONFIG": ""})
    for args in (
        ("org", "add", "acme"),
        ("product", "add", "viewer"),
        ("license", "add", "--org", "acme", "--product", "viewer", "--seats", "4"),
    ):
        assert runner.invoke(main, list(args)).exit_code == 0
    asyncio.run(_flag(data_dir / "licmon.db"))
    for fmt in ("html", "csv", "json"):
        out = tmp_path / f"report.{fmt}"
        result = runner.invoke(
            main, ["report", "abuse", "--since", "30d", "--format", fmt, "--out", str(out)]
        )
        assert result.exit_code == 0, result.output
        assert out.stat().st_mode & 0o777 == 0o600
        text = out.read_text()
        assert "territory" in text and EVIDENCE_MARKER not in text
    assert json.loads((tmp_path / "report.json").read_text())["licenses"][0]["license"] == 1
    wrong = runner.invoke(main, ["report", "abuse", "--since", "lately"])
    assert wrong.exit_code == 1 and wrong.output.startswith("Error: --since")
    unknown = runner.invoke(main, ["report", "abuse", "--org", "nope"])
    assert unknown.exit_code == 1 and "Traceback" not in unknown.output


async def _flag(path: Path) -> None:
    store = SqliteStore(path)
    await store.open()
    now = int(time.time())
    draft = FlagDraft(FlagKind.TERRITORY, Severity.MEDIUM, 1, now, {"network": "198.51.100.0/24"})
    await store.raise_flags([FlagRaise(draft, now + 86400)])
    await store.close()
