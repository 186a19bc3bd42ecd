"""Server-side SVG charts of a deal's model monitoring (report and dashboard).

Both take the per-period records of :class:`~trancheflow.models.ops_deal.DealMonitor`
(or the API's ``ModelPeriodOut`` dumps) and return an inline ``<svg>``.

Examples
--------
>>> recs = [{"period": 1, "forecast_cpr": 6.0, "realized_cpr": 9.0, "forecast_cdr": 1.0,
...          "realized_cdr": 0.8, "pool_value": 98.0, "tranches": {"A": 99.5}}]
>>> rate_chart(recs).startswith("<svg"), "A" in value_chart(recs)
(True, True)
"""

from __future__ import annotations

from typing import Any

from trancheflow.api.charts import PALETTE, Series, line_chart

__all__ = ["rate_chart", "value_chart"]


def rate_chart(recs: list[dict[str, Any]]) -> str:
    """SVG: forecast vs realized CPR and CDR by period."""
    pts = {
        k: [(float(r["period"]), float(r[k])) for r in recs if r.get(k) is not None]
        for k in ("forecast_cpr", "realized_cpr", "forecast_cdr", "realized_cdr")
    }
    return line_chart(
        "model-rates",
        [
            Series("CPR forecast", pts["forecast_cpr"], PALETTE[5], dashed=True),
            Series("CPR realized", pts["realized_cpr"], PALETTE[0]),
            Series("CDR forecast", pts["forecast_cdr"], PALETTE[1], dashed=True),
            Series("CDR realized", pts["realized_cdr"], PALETTE[3]),
        ],
        title="Forecast vs realized prepayment (CPR) and default (CDR), % a year",
        fmt=lambda v: f"{v:g}%",
    )


def value_chart(recs: list[dict[str, Any]]) -> str:
    """SVG: model value per 100 of current face by period (pool and each tranche).

    Points are drawn (and carried in ``data-y``) as the value less par, so the
    axis is not squashed; the tick labels show the value itself.
    """
    names = list(dict.fromkeys(k for r in recs for k in (r.get("tranches") or {})))
    series = [
        Series(
            "pool",
            [
                (float(r["period"]), float(r["pool_value"]) - 100.0)
                for r in recs
                if r.get("pool_value") is not None
            ],
            PALETTE[7],
            dashed=True,
        )
    ]
    for i, n in enumerate(names):
        pts = [
            (float(r["period"]), float(r["tranches"][n]) - 100.0)
            for r in recs
            if r.get("tranches") and r["tranches"].get(n) is not None
        ]
        series.append(Series(n, pts, (PALETTE[0], PALETTE[1], PALETTE[2], PALETTE[4])[i % 4]))
    return line_chart(
        "model-values",
        series,
        title="Model value per 100 of current face (axis: value; par = 100)",
        fmt=lambda v: f"{v + 100:g}",
    )
