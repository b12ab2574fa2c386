"""Simple accessible horizontal bar charts drawn as inline SVG on the server (no chart library installed).

Each chart has a title and description for screen readers and the same numbers in a table next to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .selectors import Chart

WIDTH = 320
LABEL_WIDTH = 0
ROW_HEIGHT = 34
BAR_HEIGHT = 12


@dataclass(frozen=True)
class DrawnBar:
    label: str
    text: str
    y: int
    text_y: int
    width: float
    hidden: bool
    whisker: tuple[float, float] | None


def drawn(chart: Chart) -> dict[str, Any]:
    """Geometry for the template: bars scaled to the widest value (shares to 100 %), whiskers for intervals."""
    values = [b.value for b in chart.bars if b.value is not None]
    scale_max = 1.0 if chart.unit in {"share", "mixed"} else max(values, default=1.0) or 1.0
    bars = []
    for i, bar in enumerate(chart.bars):
        y = i * ROW_HEIGHT + 16
        width = 0.0 if bar.value is None else WIDTH * bar.value / scale_max
        whisker = None
        if bar.low is not None and bar.high is not None:
            whisker = (round(WIDTH * bar.low / scale_max, 1), round(WIDTH * bar.high / scale_max, 1))
        bars.append(DrawnBar(bar.label, bar.text, y, y - 4, round(width, 1), bar.value is None, whisker))
    reference_x = None
    if chart.reference is not None and chart.unit == "share":
        reference_x = round(WIDTH * chart.reference.value, 1)
    return {
        "width": WIDTH,
        "height": len(bars) * ROW_HEIGHT + 8,
        "bars": bars,
        "bar_height": BAR_HEIGHT,
        "reference_x": reference_x,
    }
