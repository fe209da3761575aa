"""What the demo prints: where to look, and what the server saw (its metrics and its store)."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from licmon.demo.seed import DemoLicense
from licmon.demo.simulate import Told
from licmon.store.base import LicenseUsage

Counts = dict[str, dict[str, float]]


@dataclass(frozen=True)
class DemoRun:
    url: str
    data_dir: Path
    keep_data: bool
    staff_login: tuple[str, str] | None = None


def where_to_look(run: DemoRun) -> list[str]:
    """Every "where to look" line, section by section."""
    return [*_server_lines(run), *_console_lines(run), *_data_lines(run)]


def _console_lines(run: DemoRun) -> list[str]:
    if run.staff_login is None:
        return []
    user, password = run.staff_login
    return [
        f"  console     {run.url}/staff/login  (user {user}, password {password}; "
        "flags, licenses, abuse report)"
    ]


def _server_lines(run: DemoRun) -> list[str]:
    return [
        f"  server      {run.url}",
        f"  metrics     {run.url}/metrics",
        f"  readiness   {run.url}/readyz",
        f"  keys        {run.url}/.well-known/jwks.json",
        f"  API         {run.url}/openapi.json",
    ]


def _data_lines(run: DemoRun) -> list[str]:
    if run.keep_data:
        return [
            f"  data        {run.data_dir} (kept; look again with "
            f"`licmon serve --data-dir {run.data_dir}` or `sqlite-utils tables "
            f"{run.data_dir / 'licmon.db'} --counts`)"
        ]
    return [f"  data        {run.data_dir} (temporary: removed when the demo ends)"]


def what_clients_were_told(told: Iterable[Told]) -> list[str]:
    return [f"  {t.behaviour:<26} {t.message}" for t in told if t.message]


def what_the_server_saw(
    metrics_text: str, usage: Iterable[tuple[DemoLicense, LicenseUsage]]
) -> list[str]:
    counts = counters(metrics_text)
    lines = [
        _line("check-ins", counts.get("licmon_checkins_total", {})),
        _line("refusals", counts.get("licmon_checkin_denials_total", {})),
        _line("releases", counts.get("licmon_releases_total", {})),
        _line("unknown keys", counts.get("licmon_invalid_key_attempts_total", {})),
        _line("throttled", counts.get("licmon_throttled_total", {})),
        _line("flags raised", counts.get("licmon_flags_raised_total", {})),
    ]
    return [line for line in lines if line] + [_license_line(lic, use) for lic, use in usage]


def counters(metrics_text: str) -> Counts:
    """Counter totals by metric and by their word label (outcome, reason, kind...)."""
    counts: Counts = defaultdict(lambda: defaultdict(float))
    for family in text_string_to_metric_families(metrics_text):
        for sample in family.samples:
            if sample.name.endswith("_total"):
                label = _word_label(sample.labels)
                counts[sample.name][label] += sample.value
    return counts


def _word_label(labels: dict[str, str]) -> str:
    for name in ("outcome", "reason", "kind", "action"):
        if name in labels:
            return labels[name]
    return ""


def _line(title: str, values: dict[str, float]) -> str:
    shown = {k: int(v) for k, v in sorted(values.items(), key=lambda kv: -kv[1]) if v}
    if not shown:
        return ""
    text = ", ".join(f"{k} {v}" if k else str(v) for k, v in shown.items())
    return f"  {title:<14} {text}"


def _license_line(lic: DemoLicense, use: LicenseUsage) -> str:
    where = f"#{lic.license_id} {lic.org}/{lic.product}"
    return (
        f"  {where:<22} {lic.role:<16} seats in use {use.seats_in_use}/{lic.seats}, "
        f"machines seen {use.machines} (max_machines {lic.max_machines})"
    )


def countries_line(lic: DemoLicense, countries: list[dict[str, Any]]) -> str:
    """Where GeoIP placed the license's machines (the demo's own world)."""
    shown = ", ".join(
        f"{c['country'] or 'unknown'} ({c['machines']} machine{'' if c['machines'] == 1 else 's'})"
        for c in countries
    )
    return f"  #{lic.license_id} {lic.role:<20} countries: {shown or 'none yet'}"
