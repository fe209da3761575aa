"""A real Prometheus scrapes a live licmon on the loopback; metrics are read back through it."""

import json
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import checkin_body
from tests.serverproc import free_port, seed, start, wait_ready

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not shutil.which("prometheus"),
        reason="prometheus is not installed (Debian package prometheus; .ci/run installs it)",
    ),
]
ROOT = Path(__file__).resolve().parents[2]
CHECKINS = 5


def api(base: str, path: str, **params: str) -> Any:
    url = f"{base}{path}?{urllib.parse.urlencode(params)}" if params else base + path
    with urllib.request.urlopen(url, timeout=5) as response:
        body = json.load(response)
    assert body["status"] == "success", body
    return body["data"]


def query(base: str, expr: str) -> list[dict[str, Any]]:
    return list(api(base, "/api/v1/query", query=expr)["result"])


@pytest.fixture(scope="module")
def licmon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A live licmon with /metrics on its own port; yields that port."""
    tmp_path = tmp_path_factory.mktemp("licmon")
    data, metrics_port, port = tmp_path / "data", free_port(), free_port()
    key = seed(data)
    config = tmp_path / "licmon.toml"
    config.write_text(f'metrics_port = {metrics_port}\nmetrics_host = "127.0.0.1"\n')
    server = start(data, port, "--config", str(config))
    try:
        for n in range(CHECKINS):
            body = json.dumps(checkin_body(key, f"prom-machine-{n:04d}")).encode()
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/v1/checkin",
                data=body,
                headers={"Content-Type": "application/json"},
            )
            with urllib.request.urlopen(request, timeout=5) as response:
                assert response.status == 200
        yield metrics_port
    finally:
        server.terminate()
        server.wait(30)


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory, licmon: int) -> Iterator[str]:
    """A real Prometheus scraping licmon every second, with licmon's alert rules loaded."""
    tmp_path = tmp_path_factory.mktemp("prometheus")
    port = free_port()
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
        f"rule_files: ['{ROOT / 'deploy/prometheus/alerts.yml'}']\n"
        "scrape_configs:\n"
        "  - job_name: licmon\n"
        f"    static_configs: [{{targets: ['127.0.0.1:{licmon}']}}]\n"
    )
    log = (tmp_path / "prometheus.log").open("wb")
    proc = subprocess.Popen(
        [
            "prometheus",
            f"--config.file={config}",
            f"--storage.tsdb.path={tmp_path / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--log.level=warn",
        ],
        stdout=log,
        stderr=log,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(f"{base}/-/ready", proc, timeout=30)
        yield base
    finally:
        proc.terminate()
        proc.wait(30)
        log.close()


def wait_for_scrapes(base: str, scrapes: int = 3, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = query(base, 'count_over_time(up{job="licmon"}[1m])')
        if result and float(result[0]["value"][1]) >= scrapes:
            return
        time.sleep(0.5)
    raise TimeoutError(f"Prometheus did not scrape licmon {scrapes} times")


def test_prometheus_scrapes_licmon_and_reads_a_metric_back(prometheus: str) -> None:
    wait_for_scrapes(prometheus)
    assert float(query(prometheus, 'up{job="licmon"}')[0]["value"][1]) == 1
    granted = query(
        prometheus, 'licmon_checkins_total{job="licmon", product="viewer", outcome="granted"}'
    )
    assert [float(r["value"][1]) for r in granted] == [CHECKINS]
    seats = query(prometheus, 'licmon_seats_in_use{job="licmon", product="viewer"}')
    assert [float(r["value"][1]) for r in seats] == [CHECKINS]
    rules = api(prometheus, "/api/v1/rules", type="alert")["groups"][0]["rules"]
    assert len(rules) >= 9 and all(rule["health"] == "ok" for rule in rules), rules


def test_every_dashboard_query_runs_in_prometheus(prometheus: str) -> None:
    wait_for_scrapes(prometheus, scrapes=2)
    dashboard = json.loads((ROOT / "deploy/grafana/dashboards/licmon.json").read_text())
    variables = {"$__rate_interval": "1m", "$instance": ".*", "$product": ".*"}
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    for expr in exprs:
        for name, value in variables.items():
            expr = expr.replace(name, value)  # noqa: PLW2901
        query(prometheus, expr)  # a malformed query is a 400, and fails here
    versions = query(prometheus, 'count by (version) (licmon_build_info{job="licmon"})')
    assert versions and versions[0]["metric"]["version"]
