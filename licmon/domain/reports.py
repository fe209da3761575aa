"""The abuse report: licenses with flags in a period, what the flags say (kinds, counts,
severities, decisions: never their evidence, which is personal data), seat use against
seats licensed, countries, and a suggested action. Plain data, CSV and JSON here; HTML is
a template. The report holds no address and no evidence, so it can be exported."""

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from licmon.errors import BadRequest
from licmon.timetext import iso

SEVERITY_RANK = {"info": 0, "low": 1, "medium": 2, "high": 3}
_SINCE = re.compile(r"(\d{1,4})([hdw])")
HOUR, DAY = 3600, 86400
_UNIT = {"h": HOUR, "d": DAY, "w": 7 * DAY}
MAX_PERIOD_DAYS = 400
FORMATS = ("html", "csv", "json")
CSV_COLUMNS = (
    "license",
    "organization",
    "product",
    "status",
    "seats",
    "peak_seats",
    "seats_in_use",
    "machines_seen",
    "max_machines",
    "refusals",
    "flags",
    "kinds",
    "highest_severity",
    "countries",
    "outside_territory",
    "suggested_action",
)


@dataclass(frozen=True, slots=True)
class FlagSummary:
    id: int
    kind: str
    severity: str
    status: str
    count: int
    first_seen: int
    last_seen: int


@dataclass(frozen=True, slots=True)
class UsagePoint:
    """One bucket (an hour or a day, UTC) of a license's use, for the report's charts."""

    start: int
    peak_seats: int
    checkins: int
    refusals: int


@dataclass(frozen=True, slots=True)
class LicenseFindings:
    license: int
    org: str
    org_name: str
    product: str
    status: str
    seats: int
    peak_seats: int
    seats_in_use: int
    machines_seen: int
    allowed_countries: tuple[str, ...]
    countries: dict[str, int]  # country -> check-ins in the period ('' = unknown)
    flags: tuple[FlagSummary, ...]
    suggested_action: str = ""
    max_machines: int = 0
    refusals: int = 0  # check-ins refused for seats_exhausted in the period
    series: tuple[UsagePoint, ...] = ()

    @property
    def outside_territory(self) -> list[str]:
        allowed = set(self.allowed_countries)
        return sorted(c for c in self.countries if allowed and c and c not in allowed)

    @property
    def kinds(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for flag in self.flags:
            counts[flag.kind] = counts.get(flag.kind, 0) + flag.count
        return dict(sorted(counts.items()))

    @property
    def highest_severity(self) -> str:
        ranked = [flag for flag in self.flags if flag.status != "dismissed"] or list(self.flags)
        return max((f.severity for f in ranked), key=SEVERITY_RANK.__getitem__, default="")


@dataclass(frozen=True, slots=True)
class AbuseReport:
    since: int
    until: int
    org: str | None
    detailed: bool  # per-flag lines (admin, analyst, operator); summaries otherwise
    licenses: tuple[LicenseFindings, ...] = field(default_factory=tuple)

    @property
    def flag_total(self) -> int:
        return sum(len(lic.flags) for lic in self.licenses)


def peak_of(sampled: int, live: int) -> int:
    """A sample every few minutes can miss a peak; the seats in use now are a floor."""
    return max(sampled, live)


def bucket_for(since: int, until: int) -> int:
    """Hours for a period of up to two days, days beyond."""
    return HOUR if until - since <= 2 * DAY else DAY


def parse_since(text: str, now: int) -> int:
    """The start of a period like '30d', '12h' or '2w' that ends ``now``."""
    found = _SINCE.fullmatch(text.strip())
    if found:
        seconds = int(found.group(1)) * _UNIT[found.group(2)]
        if seconds > MAX_PERIOD_DAYS * 86400:
            raise BadRequest(f"A report covers at most {MAX_PERIOD_DAYS} days.")
        return now - seconds
    raise BadRequest("--since is a period like 30d, 12h or 2w.")


def check_period(since: int, until: int) -> tuple[int, int]:
    """A period typed as two dates: in order, and no longer than a report covers."""
    if since >= until:
        raise BadRequest("The period's start is after its end.")
    if until - since > MAX_PERIOD_DAYS * DAY:
        raise BadRequest(f"A report covers at most {MAX_PERIOD_DAYS} days.")
    return since, until


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise BadRequest(f"The format is one of {', '.join(FORMATS)}.")
    return fmt


def suggest_action(findings: LicenseFindings) -> str:
    """The first rule that fits, from the most to the least serious."""
    live = [f for f in findings.flags if f.status != "dismissed"]
    kinds = {f.kind for f in live}
    settled = _nothing_to_do(findings, live)
    if settled:
        return settled
    if any(f.status == "confirmed" and SEVERITY_RANK[f.severity] >= 2 for f in live):
        return _confirmed_abuse(findings.status)
    if kinds & {"dead_key", "key_guessing"}:
        return "check for a leaked or shared key; reissue it if needed"
    if _over_demand(findings) or kinds & {"seat_overuse", "machine_sharing"}:
        return "contact the customer: usage exceeds the license; offer more seats"
    if findings.outside_territory or kinds & {"territory", "impossible_travel", "network_spread"}:
        return "review where the license is used with the customer"
    return "monitor: low-severity signals only"


def _nothing_to_do(findings: LicenseFindings, live: list[FlagSummary]) -> str:
    if not live:
        return "none: every flag was dismissed"
    if findings.status == "revoked":
        return "none: the license is revoked; check that its key no longer checks in"
    return ""


def _confirmed_abuse(status: str) -> str:
    if status == "suspended":
        return "already suspended (confirmed abuse): contact the customer before resuming"
    return "suspend the license (confirmed abuse) and contact the customer"


def _over_demand(findings: LicenseFindings) -> bool:
    over_machines = 0 < findings.max_machines < findings.machines_seen
    return findings.peak_seats > findings.seats or findings.refusals > 0 or over_machines


def with_actions(findings: Sequence[LicenseFindings]) -> tuple[LicenseFindings, ...]:
    ordered = sorted(
        findings,
        key=lambda f: (-SEVERITY_RANK.get(f.highest_severity, -1), -len(f.flags), f.license),
    )
    return tuple(_with_action(f) for f in ordered)


def _with_action(findings: LicenseFindings) -> LicenseFindings:
    return replace(findings, suggested_action=suggest_action(findings))


def as_json(report: AbuseReport) -> dict[str, Any]:
    return {
        "report": "abuse",
        "since": report.since,
        "until": report.until,
        "org": report.org,
        "licenses": [_license_json(lic, report.detailed) for lic in report.licenses],
    }


def _license_json(lic: LicenseFindings, detailed: bool) -> dict[str, Any]:
    data = {k: v for k, v in asdict(lic).items() if k not in ("flags", "series")}
    data.update(
        kinds=lic.kinds,
        highest_severity=lic.highest_severity,
        outside_territory=lic.outside_territory,
        allowed_countries=list(lic.allowed_countries),
        series=[{**asdict(point), "start": iso(point.start)} for point in lic.series],
    )
    if detailed:
        data["flags"] = [asdict(flag) for flag in lic.flags]
    return data


def as_csv(report: AbuseReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for lic in report.licenses:
        writer.writerow(_csv_row(lic))
    return out.getvalue()


def _csv_row(lic: LicenseFindings) -> list[Any]:
    return [
        lic.license,
        lic.org,
        lic.product,
        lic.status,
        lic.seats,
        lic.peak_seats,
        lic.seats_in_use,
        lic.machines_seen,
        lic.max_machines,
        lic.refusals,
        len(lic.flags),
        " ".join(f"{kind}:{count}" for kind, count in lic.kinds.items()),
        lic.highest_severity,
        " ".join(f"{c or '??'}:{n}" for c, n in sorted(lic.countries.items())),
        " ".join(lic.outside_territory),
        lic.suggested_action,
    ]
