"""deploy/ for several nodes: compose.postgres.yml, haproxy.cfg, prometheus.cluster.yml.

What can be checked without a container engine is checked for real: HAProxy and promtool
read the files, and the compose file's parts must agree with each other and with licmon's
settings (ports, trusted proxy, health check, targets). tests/cluster runs this haproxy.cfg.
"""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from licmon.config import load_settings
from licmon.domain.network import TrustedProxies, parse_ip

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE = DEPLOY / "compose.postgres.yml"
HAPROXY = DEPLOY / "haproxy.cfg"
NODES = ("licmon-a", "licmon-b")
HAPROXY_ENV = {
    "LICMON_LISTEN": "127.0.0.1:18080",
    "LICMON_NODE_A": "127.0.0.1:18081",
    "LICMON_NODE_B": "127.0.0.1:18082",
    "LICMON_STATS": "127.0.0.1:18404",
}


def compose() -> dict[str, Any]:
    return dict(yaml.safe_load(COMPOSE.read_text()))


def image_env() -> dict[str, str]:
    """The ENV of deploy/Dockerfile's final stage (ports the nodes listen on)."""
    text = (DEPLOY / "Dockerfile").read_text().split("\nFROM ")[-1]
    return dict(re.findall(r"(LICMON_[A-Z_]+)=(\S+)", text))


def node_settings(name: str) -> Any:
    env = {**image_env(), **compose()["services"][name]["environment"]}
    env = {k: v for k, v in env.items() if k != "LICMON_DATABASE_URL"}  # may be 12a's
    return load_settings(None, environ=env)


def haproxy_check(cfg: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["haproxy", "-c", "-f", str(cfg)],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )


@pytest.mark.skipif(not shutil.which("haproxy"), reason="haproxy missing (Debian package)")
def test_haproxy_accepts_the_configuration() -> None:
    result = haproxy_check(HAPROXY, HAPROXY_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Configuration file is valid" in result.stdout + result.stderr


@pytest.mark.skipif(not shutil.which("haproxy"), reason="haproxy missing (Debian package)")
def test_haproxy_refuses_a_configuration_without_its_addresses(tmp_path: Path) -> None:
    broken = tmp_path / "haproxy.cfg"
    broken.write_text(HAPROXY.read_text().replace("balance roundrobin", "balance nonsense"))
    assert haproxy_check(broken, HAPROXY_ENV).returncode != 0  # the check can fail


def test_haproxy_checks_readyz_replaces_the_forwarded_header_and_hides_metrics() -> None:
    text = HAPROXY.read_text()
    assert "http-check send meth GET uri /readyz" in text
    assert "http-check expect status 200" in text
    assert "http-request set-header X-Forwarded-For %[src]" in text
    assert "http-request del-header Forwarded" in text
    assert re.search(r"deny .* if \{ path_beg /metrics \}", text)
    servers = re.findall(r'^\s*server (\S+) "\$\{(LICMON_NODE_[AB])\}" check$', text, re.M)
    assert [env for _, env in servers] == ["LICMON_NODE_A", "LICMON_NODE_B"]
    assert "retry-on conn-failure" in text  # never a request a node may have received


def test_compose_runs_postgres_two_nodes_haproxy_and_prometheus() -> None:
    services = compose()["services"]
    assert set(services) >= {"postgres", *NODES, "haproxy", "prometheus"}
    volumes = [services[n]["volumes"] for n in NODES]
    assert volumes[0] != volumes[1]  # each node its own data directory
    for name, mounts in zip(NODES, volumes, strict=True):
        assert mounts == [f"{name}-data:/var/lib/licmon"], mounts
        node = services[name]
        assert node["read_only"] is True and node["cap_drop"] == ["ALL"]
        assert node["depends_on"]["postgres"]["condition"] == "service_healthy"
        url = node["environment"]["LICMON_DATABASE_URL"]
        assert url.startswith("postgresql://") and "@postgres:5432/" in url
        assert "${LICMON_DB_PASSWORD:?" in url  # never a default password
    assert "${LICMON_DB_PASSWORD:?" in services["postgres"]["environment"]["POSTGRES_PASSWORD"]
    assert "pg_isready" in services["postgres"]["healthcheck"]["test"]


def test_haproxy_is_the_nodes_only_trusted_proxy_and_reaches_their_api_port() -> None:
    services = compose()["services"]
    haproxy = services["haproxy"]
    proxy_address = parse_ip(haproxy["networks"]["licmon"]["ipv4_address"])
    assert proxy_address is not None
    env = haproxy["environment"]
    for name, key in zip(NODES, ("LICMON_NODE_A", "LICMON_NODE_B"), strict=True):
        settings = node_settings(name)
        assert env[key] == f"{name}:{settings.port}"
        trusted = TrustedProxies.parse(settings.trusted_proxies)
        assert trusted.trusts(proxy_address)
        assert not trusted.trusts(parse_ip(services[name]["networks"]["licmon"]["ipv4_address"]))
    assert "./haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro" in haproxy["volumes"]


def test_every_port_is_on_the_loopback_and_every_mounted_file_exists() -> None:
    for service in compose()["services"].values():
        assert all(str(p).startswith("127.0.0.1:") for p in service.get("ports", []))
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (DEPLOY / source).exists(), source


def test_prometheus_scrapes_both_nodes_metrics_ports() -> None:
    services = compose()["services"]
    mounts = services["prometheus"]["volumes"]
    (config_mount,) = [m for m in mounts if m.endswith(":/etc/prometheus/prometheus.yml:ro")]
    config = yaml.safe_load((DEPLOY / config_mount.split(":")[0]).read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    targets = jobs["licmon"]["static_configs"][0]["targets"]
    assert targets == [f"{n}:{node_settings(n).metrics_port}" for n in NODES]
    assert config["rule_files"] == ["alerts.yml"]


@pytest.mark.skipif(not shutil.which("promtool"), reason="promtool missing (Debian prometheus)")
def test_promtool_checks_the_cluster_scrape_config() -> None:
    result = subprocess.run(
        ["promtool", "check", "config", "prometheus.cluster.yml"],
        cwd=DEPLOY / "prometheus",
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_ci_installs_haproxy() -> None:
    ci = (ROOT / ".ci/run").read_text()
    (packages,) = re.findall(r"^SYSTEM_PACKAGES=\((.*)\)$", ci, re.MULTILINE)
    assert "haproxy" in packages.split()


DATABASE_GAUGES = re.compile(
    r"(sum|max)(?: by \([a-z, ]+\))? ?\((licmon_(?:licenses|licenses_full|seats_in_use|"
    r"seats_licensed|seats_away|flags_open|flags_open_by_severity|database_bytes))\{"
)


def test_the_dashboard_takes_database_gauges_once_however_many_nodes_report_them() -> None:
    """Every node reports the shared database's seats and flags: summing them over nodes
    would count each seat once per node."""
    dashboard = json.loads((DEPLOY / "grafana/dashboards/licmon.json").read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    found = [m for expr in exprs for m in DATABASE_GAUGES.findall(expr)]
    assert len(found) >= 6
    assert {aggregation for aggregation, _ in found} == {"max"}, found
