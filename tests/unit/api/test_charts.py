"""SVG charts: ticks cover the data, every point is drawn with its data."""

from __future__ import annotations

import itertools
import re

from hypothesis import given
from hypothesis import strategies as st

from trancheflow.api.charts import Series, line_chart, nice_ticks, stacked_bars


@given(st.floats(-1e9, 1e9), st.floats(1e-6, 1e9))
def test_ticks_cover_the_range_with_even_steps(lo: float, rel: float) -> None:
    width = rel * max(1.0, abs(lo))  # ranges the charts meet: not below float resolution
    ticks = nice_ticks(lo, lo + width)
    assert ticks[0] <= lo and ticks[-1] >= lo + width * (1 - 1e-9)
    assert 2 <= len(ticks) <= 12
    steps = [b - a for a, b in itertools.pairwise(ticks)]
    assert max(steps) - min(steps) <= 1e-6 * max(steps)


def test_line_chart_draws_each_point_inside_the_plot() -> None:
    pts = [(float(t), 100.0 - 3 * t) for t in range(1, 25)]
    svg = line_chart("x", [Series("s", pts, "#000")], title="T", hlines=[(50.0, "limit")])
    ys = [float(v) for v in re.findall(r'data-y="([^"]+)"', svg)]
    assert ys == [p[1] for p in pts]
    cx = [float(v) for v in re.findall(r'cx="([^"]+)"', svg)]
    assert cx == sorted(cx) and min(cx) >= 64 and max(cx) <= 640 - 16
    assert 'data-threshold="50.0"' in svg


def test_empty_charts_say_so_and_bars_skip_zero_segments() -> None:
    assert "no finalized period yet" in line_chart("e", [], title="E")
    svg = stacked_bars(
        "b", [1.0, 2.0], [("a", [1.0, 0.0], "#111"), ("b", [2.0, 3.0], "#222")], title="B"
    )
    assert svg.count("<rect data-series=") == 3
