"""The abuse report's charts for one license: seat use against the licensed line,
check-ins with the refusals over them, and check-ins per country. Counts only."""

from dataclasses import dataclass

from licmon.domain.reports import LicenseFindings, UsagePoint, bucket_for
from licmon.web.console.charts import Chart, bar_chart, caption, overlaid, steps

TOP_COUNTRIES = 12


@dataclass(frozen=True, slots=True)
class LicenseCharts:
    seats: Chart
    traffic: Chart
    countries: Chart


def license_charts(lic: LicenseFindings, since: int, until: int) -> LicenseCharts:
    step = bucket_for(since, until)
    by_start = {point.start: point for point in lic.series}
    buckets = steps(since, until, step)
    empty = UsagePoint(0, 0, 0, 0)
    points = [(label, by_start.get(start, empty)) for start, label in buckets]
    peaks = [(label, p.peak_seats) for label, p in points]
    checkins = [(label, p.checkins) for label, p in points]
    refusals = [p.refusals for _, p in points]
    per = caption(step)
    traffic = bar_chart(checkins, height=140, caption=f"check-ins {per}; refused in red")
    return LicenseCharts(
        seats=bar_chart(peaks, height=140, line=lic.seats, caption=f"peak seats {per}"),
        traffic=overlaid(traffic, refusals, "refusal"),
        countries=_countries(lic),
    )


def _countries(lic: LicenseFindings) -> Chart:
    ranked = sorted(lic.countries.items(), key=lambda item: (-item[1], item[0]))
    points = [(country or "unknown", count) for country, count in ranked[:TOP_COUNTRIES]]
    return bar_chart(
        points, width=480, height=140, ticks=TOP_COUNTRIES, caption="check-ins per country"
    )
