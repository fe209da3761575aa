"""deploy/: what can be checked without a container engine is checked for real."""

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client import CollectorRegistry

from licmon.config import load_settings
from licmon.domain.network import TrustedProxies, parse_ip
from licmon.metrics import Metrics

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
PROMETHEUS = DEPLOY / "prometheus"
REQUIRED_ALERTS = {
    "LicmonDown",
    "LicmonHighErrorRatio",
    "LicmonCheckinLatencyHigh",
    "LicmonSeatsNearlyExhausted",
    "LicmonInvalidKeySurge",
    "LicmonHighSeverityFlagsOpen",
    "LicmonRetentionOverdue",
    "LicmonGeoipDatabaseStale",
    "LicmonWriteQueueBacklog",
}
METRIC = re.compile(r"\b((?:licmon|process|python)_[a-z_]+)\b")
needs_promtool = pytest.mark.skipif(
    not shutil.which("promtool"), reason="promtool missing (Debian package prometheus)"
)


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def exported_series() -> set[str]:
    """Every series name licmon's registry can export."""
    suffixes = {
        "counter": ("_total",),
        "histogram": ("_bucket", "_sum", "_count"),
        "info": ("_info",),
        "gauge": ("",),
    }
    names = set()
    for family in Metrics(CollectorRegistry()).registry.collect():
        names |= {family.name + s for s in suffixes.get(family.type, ("",))}
    return names


def alert_rules() -> list[dict[str, Any]]:
    return [
        rule for group in load_yaml(PROMETHEUS / "alerts.yml")["groups"] for rule in group["rules"]
    ]


def dashboard_exprs() -> list[str]:
    dashboard = json.loads((DEPLOY / "grafana/dashboards/licmon.json").read_text())
    return [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]


def run(*args: str, cwd: Path = PROMETHEUS) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False, timeout=60)


# -- Prometheus: configuration, rules, rule unit tests
@needs_promtool
def test_promtool_checks_the_scrape_config_and_its_rules() -> None:
    result = run("promtool", "check", "config", "prometheus.yml")
    assert result.returncode == 0, result.stdout + result.stderr


@needs_promtool
def test_promtool_checks_the_alert_rules() -> None:
    result = run("promtool", "check", "rules", "alerts.yml")
    assert result.returncode == 0, result.stdout + result.stderr


@needs_promtool
def test_promtool_unit_tests_of_every_alert_pass() -> None:
    result = run("promtool", "test", "rules", "alerts_test.yml")
    assert result.returncode == 0 and "SUCCESS" in result.stdout, result.stdout + result.stderr


def test_every_required_alert_exists_and_is_shown_firing_and_quiet() -> None:
    names = {rule["alert"] for rule in alert_rules()}
    assert names >= REQUIRED_ALERTS, REQUIRED_ALERTS - names
    cases = [
        case
        for test in load_yaml(PROMETHEUS / "alerts_test.yml")["tests"]
        for case in test["alert_rule_test"]
    ]
    for name in names:
        mine = [case for case in cases if case["alertname"] == name]
        assert any(case["exp_alerts"] for case in mine), f"{name} is never shown firing"
        assert any(not case["exp_alerts"] for case in mine), f"{name} is never shown quiet"


def test_rules_and_dashboard_use_only_metrics_licmon_exports() -> None:
    exported = exported_series()
    used = {m for rule in alert_rules() for m in METRIC.findall(rule["expr"])}
    used |= {m for expr in dashboard_exprs() for m in METRIC.findall(expr)}
    assert used - exported == set(), used - exported
    assert "licmon_seats_in_use" in used and "licmon_checkins_total" in used


def test_the_scrape_job_is_the_one_the_rules_expect() -> None:
    config = load_yaml(PROMETHEUS / "prometheus.yml")
    (job,) = config["scrape_configs"]
    assert job["job_name"] == "licmon"
    assert job["static_configs"][0]["targets"] == ["licmon:9108"]
    assert config["rule_files"] == ["alerts.yml"]


# -- Grafana
def test_dashboard_is_valid_and_uses_the_provisioned_data_source() -> None:
    dashboard = json.loads((DEPLOY / "grafana/dashboards/licmon.json").read_text())
    source = load_yaml(DEPLOY / "grafana/provisioning/datasources/prometheus.yml")
    uid = source["datasources"][0]["uid"]
    panels = [p for p in dashboard["panels"] if p["type"] != "row"]
    assert len(panels) >= 20 and dashboard["uid"] == "licmon-overview"
    assert len({p["id"] for p in dashboard["panels"]}) == len(dashboard["panels"])
    for panel in panels:
        assert panel["datasource"]["uid"] == uid, panel["title"]
        assert panel["targets"] and all(t["expr"] for t in panel["targets"]), panel["title"]
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]
    provider = load_yaml(DEPLOY / "grafana/provisioning/dashboards/licmon.yml")
    assert provider["providers"][0]["options"]["path"] == "/var/lib/grafana/dashboards"


# -- containers
def test_compose_runs_licmon_prometheus_and_grafana_with_what_they_mount() -> None:
    compose = load_yaml(DEPLOY / "compose.yaml")
    services = compose["services"]
    assert set(services) >= {"licmon", "prometheus", "grafana"}
    licmon = services["licmon"]
    assert (DEPLOY / licmon["build"]["context"] / licmon["build"]["dockerfile"]).is_file()
    assert "licmon-data:/var/lib/licmon" in licmon["volumes"]
    assert licmon["read_only"] is True and licmon["cap_drop"] == ["ALL"]
    for service in services.values():
        assert all(str(port).startswith("127.0.0.1:") for port in service.get("ports", []))
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (DEPLOY / source).exists(), source
    password = services["grafana"]["environment"]["GF_SECURITY_ADMIN_PASSWORD"]
    assert password.startswith("${") and ":?" in password  # never a default password


def test_dockerfile_runs_unprivileged_with_a_data_volume() -> None:
    text = (DEPLOY / "Dockerfile").read_text()
    users = re.findall(r"^USER\s+(\S+)", text, re.MULTILINE)
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert 'VOLUME ["/var/lib/licmon"]' in text and "LICMON_DATA_DIR=/var/lib/licmon" in text
    for source in re.findall(r"^COPY (?!--from)(.+) \S+$", text, re.MULTILINE):
        for name in source.split():
            assert (ROOT / name).exists(), name
    ignore = (DEPLOY / "Dockerfile.dockerignore").read_text().split()
    assert "*" in ignore and "!licmon/" in ignore


# -- systemd
def _unit_copy(tmp_path: Path) -> Path:
    """The unit with an ExecStart that exists here (the real one is on the target host)."""
    unit = tmp_path / "licmon.service"
    text = (DEPLOY / "systemd/licmon.service").read_text()
    unit.write_text(re.sub(r"^ExecStart=.*$", "ExecStart=/bin/true", text, flags=re.MULTILINE))
    return unit


def test_systemd_unit_is_hardened() -> None:
    text = (DEPLOY / "systemd/licmon.service").read_text()
    for directive in (
        "User=licmon",
        "StateDirectory=licmon",
        "StateDirectoryMode=0700",
        "ProtectSystem=strict",
        "NoNewPrivileges=yes",
        "ProtectHome=yes",
        "PrivateTmp=yes",
        "CapabilityBoundingSet=\n",
        "SystemCallFilter=@system-service",
        "UMask=0077",
        "KillSignal=SIGTERM",
    ):
        assert directive in text, directive
    assert "u licmon " in (DEPLOY / "systemd/licmon.sysusers").read_text()


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze missing")
def test_systemd_analyze_verifies_the_unit_and_rates_it_exposure_2_or_less(tmp_path: Path) -> None:
    unit = _unit_copy(tmp_path)
    verify = run("systemd-analyze", "verify", str(unit), cwd=tmp_path)
    assert verify.returncode == 0 and not verify.stderr.strip(), verify.stderr
    security = run(
        "systemd-analyze", "security", "--offline=true", "--threshold=20", "--no-pager",
        str(unit), cwd=tmp_path,
    )  # fmt: skip
    assert security.returncode == 0, security.stdout[-2000:]


# -- reverse proxy and its licmon settings
def test_the_reverse_proxy_is_licmons_trusted_proxy() -> None:
    settings = load_settings(DEPLOY / "licmon.toml", environ={})
    nginx = (DEPLOY / "proxy/nginx.conf").read_text()
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in nginx
    (upstream,) = re.findall(r"^\s*server (\S+):(\d+);", nginx, re.MULTILINE)
    assert (upstream[0], int(upstream[1])) == (settings.host, settings.port)
    proxy = parse_ip(upstream[0])
    assert proxy is not None and TrustedProxies.parse(settings.trusted_proxies).trusts(proxy)
    assert "ssl_certificate " in nginx and "listen 443 ssl" in nginx
    assert settings.metrics_port and settings.metrics_port != settings.port


def test_ci_installs_prometheus() -> None:
    ci = (ROOT / ".ci/run").read_text()
    (packages,) = re.findall(r"^SYSTEM_PACKAGES=\((.*)\)$", ci, re.MULTILINE)
    assert "prometheus" in packages.split()
