"""Chart geometry for inline SVG (no script, no external library): plain functions from
numbers to rectangles, drawn by the templates' ``charts.html`` macros."""

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

HOUR, DAY = 3600, 86400
LEFT, BOTTOM, TOP = 40, 18, 20


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: int
    kind: str = "bar"  # the CSS class: "bar", or "bar refusal" drawn over it


@dataclass(frozen=True, slots=True)
class Chart:
    width: int
    height: int
    bars: tuple[Bar, ...]
    ticks: tuple[tuple[float, str], ...]  # x position, label
    top: int  # the value at the top of the plot
    baseline: float  # y of zero
    line_y: float | None = None  # y of a reference line (seats licensed)
    line_value: int | None = None
    caption: str = ""  # what the x axis counts, e.g. "per hour (UTC)"

    @property
    def empty(self) -> bool:
        return not any(bar.value for bar in self.bars)


@dataclass(frozen=True, slots=True)
class Meter:
    label: str
    value: int
    total: int
    width: float  # of the filled part, out of METER_WIDTH
    over: bool  # value above total


METER_WIDTH = 300


def hourly(counts: Mapping[int, int], end: int, hours: int) -> list[tuple[str, int]]:
    """One point per hour up to the hour holding ``end``, missing hours as zero."""
    return [(label, int(counts.get(s, 0))) for s, label in steps(end - (hours - 1) * HOUR, end)]


def steps(since: int, until: int, step: int = HOUR) -> list[tuple[int, str]]:
    """Each bucket's start from the one holding ``since`` to the one holding ``until``, with
    a label naming the day and month (and the hour, for hours), in UTC."""
    first, last = since - since % step, until - until % step
    shape = "%d %b %H:00" if step < DAY else "%d %b"
    return [(s, time.strftime(shape, time.gmtime(s))) for s in range(first, last + 1, step)]


def caption(step: int) -> str:
    return "per hour (UTC)" if step < DAY else "per day (UTC)"


def bar_chart(
    points: Sequence[tuple[str, int]],
    *,
    width: int = 720,
    height: int = 160,
    ticks: int = 6,
    line: int | None = None,
    caption: str = "",
) -> Chart:
    top = max([1, *(value for _, value in points), line or 0])
    plot_w, plot_h = width - LEFT, height - BOTTOM - TOP
    step = plot_w / max(1, len(points))
    baseline = TOP + plot_h

    def y_of(value: int) -> float:
        return baseline - plot_h * value / top

    bars = tuple(
        Bar(LEFT + i * step + step * 0.1, y_of(v), step * 0.8, baseline - y_of(v), label, v)
        for i, (label, v) in enumerate(points)
    )
    every = max(1, len(points) // ticks)
    marks = tuple((b.x + b.width / 2, b.label) for b in bars[::every])
    line_y = None if line is None else y_of(line)
    return Chart(width, height, bars, marks, top, baseline, line_y, line, caption)


def overlaid(chart: Chart, values: Sequence[int], kind: str) -> Chart:
    """A second series drawn over the first's bars (never above their scale's top)."""
    plot_h = chart.baseline - TOP
    extra = tuple(
        replace(bar, y=chart.baseline - h, height=h, value=v, kind=f"bar {kind}")
        for bar, v in zip(chart.bars, values, strict=True)
        for h in [plot_h * min(v, chart.top) / chart.top]
    )
    return replace(chart, bars=chart.bars + extra)


def meters(rows: Sequence[tuple[str, int, int]]) -> list[Meter]:
    """(label, value, total) as filled bars: seats in use against seats licensed."""
    return [
        Meter(label, value, total, METER_WIDTH * min(1.0, value / max(1, total)), value > total)
        for label, value, total in rows
    ]
