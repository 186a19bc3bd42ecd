"""How the market figures are shown: the price chart shared by the demo report and
the dashboard panel (issue 11).

Prices are per 100 of current face. :func:`price_chart` draws the pool's
price, its TWAP and the model's fair value with the dashboard's server-side
SVG (:func:`trancheflow.api.charts.line_chart`); that chart always includes
0 on its axis, so the lines are drawn as points from par (``price - 100``)
and the axis is labelled in prices (a tick at 0 reads 100).

Examples
--------
>>> rows = [(1, {"price": 95.0, "twap": 95.2, "fair": 95.1}),
...         (2, {"price": 95.5, "twap": 95.1, "fair": 95.3})]
>>> svg = price_chart("A1", rows)
>>> 'data-series="pool price"' in svg, 'data-y="-4.5"' in svg
(True, True)
>>> rows = [(1, {**r, "price_pre_arb": 95.4}) for _, r in rows[1:]]
>>> 'data-series="before arbitrage"' in rich_cheap_chart("A1", rows)
True
>>> rich_cheap_text(12.345)
'+12.3 bp rich'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from trancheflow.api.charts import PALETTE, Series, line_chart

PAR = 100.0

#: The three lines: payload key, label, colour, dashed.
LINES = (
    ("price", "pool price", PALETTE[0], False),
    ("twap", "TWAP", PALETTE[1], True),
    ("fair", "model fair value", PALETTE[2], False),
)


def price_chart(tranche: str, rows: Sequence[tuple[int, Mapping[str, Any]]]) -> str:
    """SVG of price, TWAP and fair value by period (``rows``: ``(period, payload)``)."""
    series = [
        Series(label, [(float(p), float(r[key]) - PAR) for p, r in rows if key in r], color, dashed)
        for key, label, color, dashed in LINES
    ]
    return line_chart(
        f"market-{tranche}",
        series,
        title=f"{tranche}: pool price, TWAP and model value (per 100 of current face)",
        fmt=lambda v: f"{v + PAR:.2f}".rstrip("0").rstrip("."),
    )


def rich_cheap_chart(
    tranche: str, rows: Sequence[tuple[int, Mapping[str, Any]]], band_bp: float = 25.0
) -> str:
    """SVG of rich/cheap (bp against the model) by period: the pool before and after the
    arbitrage agent traded, and the TWAP; dashed lines at +/- ``band_bp``."""

    def bp(r: Mapping[str, Any], key: str) -> float:
        return (float(r[key]) - float(r["fair"])) / float(r["fair"]) * 1e4

    series = [
        Series(
            "before arbitrage",
            [(float(p), bp(r, "price_pre_arb")) for p, r in rows if "price_pre_arb" in r],
            PALETTE[3],
        ),
        Series("after arbitrage", [(float(p), bp(r, "price")) for p, r in rows], PALETTE[0]),
        Series("TWAP", [(float(p), bp(r, "twap")) for p, r in rows], PALETTE[1], True),
    ]
    return line_chart(
        f"market-{tranche}-richcheap",
        series,
        title=f"{tranche}: rich (+) / cheap (-) against the model, bp",
        fmt=lambda v: f"{v:g}",
        hlines=[(band_bp, f"+{band_bp:g} bp"), (-band_bp, f"-{band_bp:g} bp")],
    )


def rich_cheap_text(bp: float) -> str:
    """``+x bp rich`` / ``-x bp cheap`` / ``at fair``."""
    if abs(bp) < 0.05:
        return "at fair"
    return f"{bp:+.1f} bp {'rich' if bp > 0 else 'cheap'}"


def rich_cheap_color(bp: float, band_bp: float = 25.0) -> str:
    """Colour of a rich/cheap figure: green within ``band_bp`` of fair, amber within
    twice it, red beyond.

    Examples
    --------
    >>> rich_cheap_color(10), rich_cheap_color(-40), rich_cheap_color(80)
    ('#1a7f37', '#9a6700', '#b3261e')
    """
    a = abs(bp)
    return "#1a7f37" if a <= band_bp else "#9a6700" if a <= 2 * band_bp else "#b3261e"
