"""Server-side SVG geometry for the dashboard's movements chart (no JavaScript needed).

The template draws what this computes: one stacked bar per day (approvals under rejections),
a few horizontal grid lines with round values, and a label every week.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from .selectors import DayMovements

WIDTH = 720
HEIGHT = 240
LEFT = 48  # room for the y-axis labels
BOTTOM = 28  # room for the date labels
TOP = 10
RIGHT = 24  # room for the last date label, centred under its bar


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    width: float
    approvals_y: float
    approvals_h: float
    rejections_y: float
    rejections_h: float
    day: DayMovements
    label: str
    label_x: float  # shown under every 7th bar; empty otherwise


@dataclass(frozen=True, slots=True)
class GridLine:
    y: float
    value: int


@dataclass(frozen=True, slots=True)
class Chart:
    width: int
    height: int
    left: int
    plot_right: int
    baseline: float
    bars: list[Bar]
    grid: list[GridLine]
    total: int


def nice_ceiling(value: int) -> int:
    """The smallest 1/2/5 × 10^n at or above value (at least 1), so grid labels are round."""
    if value <= 1:
        return 1
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


def movement_chart(days: list[DayMovements]) -> Chart:
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    baseline = TOP + plot_h
    top_value = nice_ceiling(max((d.total for d in days), default=0))
    slot = plot_w / max(len(days), 1)
    bar_w = max(slot * 0.7, 1.0)
    scale = plot_h / top_value
    bars = []
    for i, day in enumerate(days):
        a_h = day.approvals * scale
        r_h = day.rejections * scale
        x = LEFT + i * slot + (slot - bar_w) / 2
        bars.append(
            Bar(
                x=round(x, 2),
                width=round(bar_w, 2),
                approvals_y=round(baseline - a_h, 2),
                approvals_h=round(a_h, 2),
                rejections_y=round(baseline - a_h - r_h, 2),
                rejections_h=round(r_h, 2),
                day=day,
                label=day.day.strftime("%d.%m") if (len(days) - 1 - i) % 7 == 0 else "",
                label_x=round(x + bar_w / 2, 2),
            )
        )
    grid = [GridLine(y=round(baseline - top_value * f * scale, 2), value=round(top_value * f)) for f in ((0, 0.5, 1) if top_value >= 2 else (0, 1))]
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        plot_right=WIDTH - RIGHT,
        baseline=baseline,
        bars=bars,
        grid=grid,
        total=sum(d.total for d in days),
    )
