"""Chart geometry for inline SVG (no script, no external library): plain functions from
numbers to rectangles, drawn by the templates' ``charts.html`` macros."""

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

HOUR = 3600
LEFT, BOTTOM, TOP = 40, 18, 8


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: int


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
    last = end - end % HOUR
    starts = [last - HOUR * i for i in range(hours - 1, -1, -1)]
    return [(time.strftime("%d %H:00", time.gmtime(s)), int(counts.get(s, 0))) for s in starts]


def bar_chart(
    points: Sequence[tuple[str, int]],
    *,
    width: int = 720,
    height: int = 160,
    ticks: int = 6,
    line: int | None = None,
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
    return Chart(width, height, bars, marks, top, baseline, line_y, line)


def meters(rows: Sequence[tuple[str, int, int]]) -> list[Meter]:
    """(label, value, total) as filled bars: seats in use against seats licensed."""
    return [
        Meter(label, value, total, METER_WIDTH * min(1.0, value / max(1, total)), value > total)
        for label, value, total in rows
    ]
