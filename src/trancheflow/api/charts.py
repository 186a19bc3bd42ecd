"""Small server-side SVG charts for the dashboard (no JavaScript, no network).

Each chart is an ``<svg data-chart=NAME>``; every plotted point is an
element carrying its data (``data-series``, ``data-x``, ``data-y``), so a
browser test can check what is drawn against the API.

Examples
--------
>>> svg = line_chart("pool", [Series("pool", [(1, 1.0), (2, 0.9)], "#1f77b4")],
...                  title="Pool factor")
>>> svg.count("<circle"), 'data-y="0.9"' in svg
(2, True)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

__all__ = ["PALETTE", "Series", "line_chart", "nice_ticks", "stacked_bars"]

#: Colour-blind-safe palette (Okabe & Ito).
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")

_W, _H = 640, 270
_L, _R, _T, _B = 64, 16, 44, 36


@dataclass(frozen=True)
class Series:
    """One line: a name, ``(x, y)`` points and a colour."""

    name: str
    points: Sequence[tuple[float, float]]
    color: str
    dashed: bool = False


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """About ``n`` round tick values covering ``[lo, hi]``.

    Examples
    --------
    >>> nice_ticks(0, 0.87)
    [0.0, 0.2, 0.4, 0.6000000000000001, 0.8, 1.0]
    """
    if not math.isfinite(lo) or not math.isfinite(hi):
        return [0.0, 1.0]
    if hi <= lo:
        hi = lo + (abs(lo) or 1.0)
    raw = (hi - lo) / max(1, n)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step) * step
    if start > lo:  # lo / step underflowed (subnormal lo)
        start -= step
    ticks = [start]
    while ticks[-1] < hi:
        ticks.append(start + step * len(ticks))
    return ticks


def _frame(
    name: str,
    title: str,
    xs: tuple[float, float],
    yt: list[float],
    fmt: Callable[[float], str],
    x_label: str,
) -> tuple[list[str], Callable[[float], float], Callable[[float], float]]:
    x0, x1 = xs
    y0, y1 = yt[0], yt[-1]
    pw, ph = _W - _L - _R, _H - _T - _B

    def sx(x: float) -> float:
        return _L + (x - x0) / ((x1 - x0) or 1) * pw

    def sy(y: float) -> float:
        return _T + ph - (y - y0) / ((y1 - y0) or 1) * ph

    out = [
        f'<svg data-chart="{escape(name)}" viewBox="0 0 {_W} {_H}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f'<text class="title" x="{_L}" y="16">{escape(title)}</text>',
    ]
    for t in yt:
        y = sy(t)
        out.append(f'<line class="grid" x1="{_L}" x2="{_W - _R}" y1="{y:.1f}" y2="{y:.1f}"/>')
        out.append(
            f'<text class="tick" x="{_L - 6}" y="{y + 4:.1f}" text-anchor="end">{fmt(t)}</text>'
        )
    for t in nice_ticks(x0, x1, 6):
        if x0 <= t <= x1:
            x = sx(t)
            out.append(
                f'<text class="tick" x="{x:.1f}" y="{_H - _B + 16}" '
                f'text-anchor="middle">{t:g}</text>'
            )
    out.append(
        f'<text class="axis" x="{_L + pw / 2:.0f}" y="{_H - 4}" '
        f'text-anchor="middle">{escape(x_label)}</text>'
    )
    return out, sx, sy


def _legend(items: Sequence[tuple[str, str]]) -> str:
    parts, x = [], _L
    for label, color in items:
        parts.append(f'<rect x="{x}" y="23" width="10" height="10" fill="{color}"/>')
        parts.append(f'<text class="legend" x="{x + 14}" y="32">{escape(label)}</text>')
        x += 26 + 6 * len(label)
    return "".join(parts)


def line_chart(
    name: str,
    series: Sequence[Series],
    *,
    title: str,
    fmt: Callable[[float], str] = lambda v: f"{v:g}",
    x_label: str = "period",
    hlines: Sequence[tuple[float, str]] = (),
) -> str:
    """Lines over a shared x axis, with optional labelled horizontal thresholds."""
    pts = [p for s in series for p in s.points]
    if not pts:
        return (
            f'<svg data-chart="{escape(name)}" viewBox="0 0 {_W} 60" xmlns="http://www.w3.org/2000/svg">'
            f'<text class="title" x="{_L}" y="16">{escape(title)}</text>'
            f'<text class="empty" x="{_L}" y="40">no finalized period yet</text></svg>'
        )
    ys = [p[1] for p in pts] + [h[0] for h in hlines] + [0.0]
    xs = (min(p[0] for p in pts), max(p[0] for p in pts))
    yt = nice_ticks(min(ys), max(ys))
    out, sx, sy = _frame(name, title, xs, yt, fmt, x_label)
    for value, label in hlines:
        y = sy(value)
        out.append(
            f'<line class="threshold" data-threshold="{value!r}" x1="{_L}" x2="{_W - _R}" '
            f'y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text class="threshold-label" x="{_W - _R - 4}" y="{y - 4:.1f}" '
            f'text-anchor="end">{escape(label)}</text>'
        )
    for s in series:
        path = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in s.points)
        dash = ' stroke-dasharray="5 3"' if s.dashed else ""
        out.append(
            f'<polyline class="line" data-series="{escape(s.name)}" fill="none" '
            f'stroke="{s.color}" stroke-width="2"{dash} points="{path}"/>'
        )
        for x, y in s.points:
            out.append(
                f'<circle data-series="{escape(s.name)}" data-x="{x!r}" data-y="{y!r}" '
                f'cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="2" fill="{s.color}">'
                f"<title>{escape(s.name)} {x:g}: {fmt(y)}</title></circle>"
            )
    out.append(_legend([(s.name, s.color) for s in series]))
    out.append("</svg>")
    return "".join(out)


def stacked_bars(
    name: str,
    xs: Sequence[float],
    stacks: Sequence[tuple[str, Sequence[float], str]],
    *,
    title: str,
    fmt: Callable[[float], str] = lambda v: f"{v:g}",
    x_label: str = "period",
) -> str:
    """Stacked bars (one bar per x); each segment is a ``<rect>`` with its data."""
    if not xs:
        return line_chart(name, [], title=title)
    totals = [sum(st[1][i] for st in stacks) for i in range(len(xs))]
    yt = nice_ticks(0.0, max(totals) or 1.0)
    lo, hi = min(xs) - 0.5, max(xs) + 0.5
    out, sx, sy = _frame(name, title, (lo, hi), yt, fmt, x_label)
    bw = max(1.0, (sx(hi) - sx(lo)) / len(xs) * 0.8)
    for i, x in enumerate(xs):
        base = 0.0
        for label, values, color in stacks:
            v = values[i]
            if v <= 0:
                continue
            top = sy(base + v)
            out.append(
                f'<rect data-series="{escape(label)}" data-x="{x!r}" data-y="{v!r}" '
                f'x="{sx(x) - bw / 2:.1f}" y="{top:.1f}" width="{bw:.1f}" '
                f'height="{sy(base) - top:.1f}" fill="{color}">'
                f"<title>{escape(label)} {x:g}: {fmt(v)}</title></rect>"
            )
            base += v
    out.append(_legend([(label, color) for label, _, color in stacks]))
    out.append("</svg>")
    return "".join(out)
