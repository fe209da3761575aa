"""/metrics: every DESIGN.md metric, no personal label, promtool-clean, snapshot-backed."""

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from licmon.app import create_app
from licmon.errors import ConfigError
from licmon.keys import GAUGES, METRICS
from licmon.metrics import Metrics
from tests.ops.busy import busy_run, busy_settings
from tests.serverproc import free_port

# "Metrics" in DESIGN.md: name -> labels. A rename or a lost label fails here.
DESIGN_METRICS = {
    "licmon_checkins_total": {"product", "outcome"},
    "licmon_checkin_duration_seconds": set(),
    "licmon_seats_in_use": {"product"},
    "licmon_seats_licensed": {"product"},
    "licmon_flags_raised_total": {"kind", "severity"},
    "licmon_flags_open": {"kind"},
    "licmon_invalid_key_attempts_total": set(),
    "licmon_throttled_total": set(),
    "licmon_store_commit_seconds": set(),
    "licmon_store_batch_size": set(),
    "licmon_store_queue_depth": set(),
    "licmon_geoip_lookups_total": {"database", "result"},
    "licmon_geoip_database_build_timestamp_seconds": {"database"},
    "licmon_retention_rows_total": {"action"},
    "licmon_retention_last_success_timestamp_seconds": set(),
    "licmon_staff_logins_total": {"outcome"},
    "licmon_personal_data_reads_total": {"purpose"},
    "licmon_build_info": {"version"},
}
NOT_A_LABEL = {"le", "quantile"}


def samples(text: str) -> dict[str, list[dict[str, str]]]:
    found: dict[str, list[dict[str, str]]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found.setdefault(sample.name, []).append(sample.labels)
    return found


def value(text: str, name: str, **labels: str) -> float:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return float(sample.value)
    raise KeyError(f"{name}{labels}")


def exercise_every_metric(metrics: Metrics) -> None:
    """What the flag detectors, GeoIP, retention and the staff console will call."""
    metrics.flag_raised("impossible_travel", "high")
    metrics.set_open_flags({"impossible_travel": 2}, {"high": 2})
    metrics.geoip_lookup("city", "hit")
    metrics.geoip_database_loaded("city", 1_790_000_000)
    metrics.retention_rows_handled("erased", 3)
    metrics.retention_succeeded(1_795_000_000)
    metrics.staff_login("success")
    metrics.personal_data_read("license.enforcement.abuse")
    metrics.throttled()


@pytest.fixture
async def busy(make_client: Callable[..., Any], tmp_path: Path) -> tuple[Any, Any, str]:
    settings = busy_settings(tmp_path)
    client = await make_client(settings)
    used = await busy_run(client, settings)
    exercise_every_metric(client.app[METRICS])
    await client.app[GAUGES].refresh()
    text = await (await client.get("/metrics")).text()
    return client, used, text


async def test_every_design_metric_is_exported_with_its_labels(busy: Any) -> None:
    _, _, text = busy
    found = samples(text)
    for name, labels in DESIGN_METRICS.items():
        series = found.get(name) or found.get(name + "_count")
        assert series, f"{name} is missing"
        assert all(set(s) - NOT_A_LABEL == labels for s in series), (name, series)


async def test_no_label_carries_a_key_address_machine_license_or_organization(busy: Any) -> None:
    _, used, text = busy
    leaked = [t for t in used.forbidden_texts() if t.lower() in text.lower()]
    assert not leaked, f"in /metrics: {leaked}"
    forbidden = used.forbidden_label_values()
    bad = [
        (name, labels)
        for name, series in samples(text).items()
        for labels in series
        if forbidden & set(labels.values())
    ]
    assert not bad, bad
    # the run did reach the labels that could have leaked
    assert value(text, "licmon_checkins_total", product="unknown", outcome="invalid_key") == 3
    assert value(text, "licmon_http_requests_total", handler="unmatched", code="404") == 1


async def test_a_label_value_that_is_not_a_plain_word_becomes_other(busy: Any) -> None:
    client, used, _ = busy
    metrics = client.app[METRICS]
    metrics.flag_raised(used.keys[0], "high")
    metrics.staff_login("Alice Smith <alice@example.com>")
    text = await (await client.get("/metrics")).text()
    assert value(text, "licmon_flags_raised_total", kind="other", severity="high") == 1
    assert value(text, "licmon_staff_logins_total", outcome="failure") == 1
    assert used.keys[0] not in text and "alice" not in text


async def test_seat_gauges_come_from_the_snapshot(busy: Any) -> None:
    _, _, text = busy
    assert value(text, "licmon_seats_licensed", product="viewer") == 0  # its license is revoked
    assert value(text, "licmon_seats_licensed", product="editor") == 3
    assert value(text, "licmon_seats_in_use", product="editor") == 3
    assert value(text, "licmon_licenses_full", product="editor") == 1
    assert value(text, "licmon_seats_in_use", product="viewer") == 1  # 2 granted, 1 released
    assert value(text, "licmon_database_bytes") > 0
    assert value(text, "licmon_gauges_refreshed_timestamp_seconds") > 0


async def test_a_scrape_never_reads_the_database(busy: Any, tmp_path: Path) -> None:
    """With the database moved away, a scrape still answers from memory."""
    client, _, before = busy
    database = tmp_path / "data" / "licmon.db"
    aside = tmp_path / "aside"
    aside.mkdir()
    moved = list(database.parent.glob("licmon.db*"))
    for path in moved:
        os.rename(path, aside / path.name)
    try:
        response = await client.get("/metrics")
        text = await response.text()
        opened = database.exists()  # sqlite3.connect would have created an empty file
    finally:
        for path in moved:
            os.replace(aside / path.name, path)
    assert response.status == 200 and not opened
    assert value(text, "licmon_seats_in_use", product="editor") == value(
        before, "licmon_seats_in_use", product="editor"
    )


async def test_no_created_series_and_build_info(busy: Any) -> None:
    _, _, text = busy
    assert "_created" not in text
    assert 'licmon_build_info{version="' in text
    assert "process_cpu_seconds_total" in text


@pytest.mark.skipif(not shutil.which("promtool"), reason="promtool (Debian: prometheus) missing")
async def test_the_scrape_passes_promtool_check_metrics(busy: Any) -> None:
    _, _, text = busy
    result = subprocess.run(
        ["promtool", "check", "metrics"], input=text, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"metrics_refresh_seconds": 0}, "setting metrics_refresh_seconds = 0 is out of range"),
    ],
)
def test_bad_metrics_settings_are_clear_errors(
    tmp_path: Path, changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        create_app(busy_settings(tmp_path, **changes))


@pytest.mark.parametrize("port", [-1, 70000])
def test_a_metrics_port_out_of_range_is_refused(tmp_path: Path, port: int) -> None:
    with pytest.raises(ConfigError, match=r"setting metrics_port .* is out of range"):
        busy_settings(tmp_path, metrics_port=port)


@pytest.mark.parametrize("port", ["same"])
async def test_a_bad_metrics_port_stops_start_up(tmp_path: Path, port: Any) -> None:
    settings = busy_settings(tmp_path)
    port = settings.port if port == "same" else port
    runner = web.AppRunner(create_app(busy_settings(tmp_path, metrics_port=port)))
    try:
        with pytest.raises(ConfigError, match="metrics_port must be a port"):
            await runner.setup()
    finally:
        await runner.cleanup()


def test_each_app_has_its_own_registry() -> None:
    first, second = Metrics(CollectorRegistry()), Metrics(CollectorRegistry())
    first.throttled()
    assert b"licmon_throttled_total 1.0" in first.exposition()
    assert b"licmon_throttled_total 0.0" in second.exposition()


async def test_metrics_port_serves_metrics_apart_from_the_api(
    make_client: Callable[..., Any], tmp_path: Path
) -> None:
    port = free_port()
    client = await make_client(busy_settings(tmp_path, metrics_port=port))
    assert (await client.get("/metrics")).status == 404
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{port}/metrics") as response,
    ):
        assert response.status == 200
        assert "licmon_build_info" in await response.text()
        assert response.headers["Content-Type"].startswith("text/plain")
