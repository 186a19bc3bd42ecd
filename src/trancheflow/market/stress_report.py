"""Rows and a chart of a :class:`~trancheflow.market.stress.StressResult`.

:func:`summary_rows` groups scenarios by pool depth and mean leverage (the
two levers the stress asks about); :func:`scenario_rows` gives one row per
scenario (with its monthly price path where asked); :func:`stress_chart`
draws the pool and model price bands, the liquidated volume and the LP loss
against depth, as a PNG.

Examples
--------
>>> from trancheflow.deal.spec import load_spec
>>> from trancheflow.market.stress import StressConfig, run_stress
>>> r = run_stress(load_spec("examples/deals/insured.yaml"),
...                StressConfig(n_scenarios=60, n_months=6, tranche="B", seed=1))
>>> rows = summary_rows(r)
>>> rows[0]["depth"], rows[0]["leverage"], sum(x["scenarios"] for x in rows)
(0.02, 0.4, 60)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from trancheflow.market.stress import StressResult

__all__ = ["scenario_rows", "stress_chart", "summary_rows"]


def summary_rows(r: StressResult) -> list[dict[str, Any]]:
    """One row per (pool depth, mean leverage): means and tails over its scenarios.

    ``liquidated``: value at the mark; ``liquidated_face``: tokens seized, at
    current face. ``stalled_share``: scenarios where a profitable-only
    liquidator left liquidations undone. ``unsold_share``: scenarios where
    the pool's real cash ran out and liquidators were left holding seized
    tokens; ``liquidator_pnl_mean``: cash
    from the pool less debt repaid (unsold tokens count as nothing).
    """
    rows: list[dict[str, Any]] = []
    liq, loss, pct = r.total_liquidated, r.lp_loss, r.lp_loss_pct
    pnl = r.proceeds.sum(axis=1) - r.repaid.sum(axis=1)
    face = r.liquidated_face.sum(axis=1)
    for d in np.unique(r.depth):
        for lev in np.unique(r.leverage):
            m = (r.depth == d) & (r.leverage == lev)
            if not m.any():
                continue
            rows.append(
                {
                    "depth": float(d),
                    "leverage": float(lev),
                    "scenarios": int(m.sum()),
                    "liquidated_mean": float(liq[m].mean()),
                    "liquidated_p95": float(np.percentile(liq[m], 95)),
                    "liquidated_face_mean": float(face[m].mean()),
                    "liquidating_share": float((liq[m] > 0).mean()),
                    "cascade_depth_max": int(r.cascade_depth[m].max()),
                    "cascade_depth_mean": float(r.cascade_depth[m].mean()),
                    "pool_price_min": float(r.pool_price[m].min()),
                    "model_price_min": float(r.model_price[m].min()),
                    "bad_debt_mean": float(r.bad_debt[m, -1].mean()),
                    "unsold_share": float((r.tokens_stuck[m] > 0).mean()),
                    "stalled_share": float(r.stalled[m].any(axis=1).mean()),
                    "liquidator_pnl_mean": float(pnl[m].mean()),
                    "lp_loss_mean": float(loss[m].mean()),
                    "lp_loss_pct_mean": float(pct[m].mean()),
                    "lp_loss_pct_p95": float(np.percentile(pct[m], 95)),
                }
            )
    return rows


def scenario_rows(r: StressResult, *, paths: bool = False) -> list[dict[str, Any]]:
    """One row per scenario; ``paths`` adds the monthly pool and model prices."""
    rows: list[dict[str, Any]] = []
    for s in range(r.cdr.shape[0]):
        row: dict[str, Any] = {
            "scenario": s,
            "cdr": float(r.cdr[s]),
            "depth": float(r.depth[s]),
            "leverage": float(r.leverage[s]),
            "liquidated": float(r.total_liquidated[s]),
            "liquidated_face": float(r.liquidated_face[s].sum()),
            "cascade_depth": int(r.cascade_depth[s]),
            "pool_price_min": float(r.pool_price[s].min()),
            "pool_price_end": float(r.pool_price[s, -1]),
            "model_price_end": float(r.model_price[s, -1]),
            "bad_debt": float(r.bad_debt[s, -1]),
            "liquidator_pnl": float(r.proceeds[s].sum() - r.repaid[s].sum()),
            "stuck_tokens": float(r.tokens_stuck[s]),
            "lp_loss": float(r.lp_loss[s]),
            "lp_loss_pct": float(r.lp_loss_pct[s]),
        }
        if paths:
            row["pool_price_path"] = [round(float(x), 6) for x in r.pool_price[s]]
            row["model_price_path"] = [round(float(x), 6) for x in r.model_price[s]]
            row["liquidated_path"] = [round(float(x), 2) for x in r.liquidated[s]]
        rows.append(row)
    return rows


def stress_chart(r: StressResult, file: str | Path) -> Path:
    """A PNG: price bands (pool vs model) and liquidations for the hardest-shock
    scenarios, and mean LP loss against pool depth for each leverage."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    file = Path(file)
    hard = r.cdr >= np.percentile(r.cdr, 75)
    x = np.arange(r.pool_price.shape[1])
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.8))
    for name, arr, colour in (
        ("pool spot", r.pool_price[hard], "tab:blue"),
        ("model", r.model_price[hard], "tab:orange"),
    ):
        lo, mid, hi = np.percentile(arr, [5, 50, 95], axis=0)
        ax1.fill_between(x, lo, hi, color=colour, alpha=0.2)
        ax1.plot(x, mid, color=colour, label=f"{name} (median, 5-95%)")
    ax1.set_xlabel("month")
    ax1.set_ylabel("price per 100 of current face")
    ax1.set_title(f"tranche {r.model.tranche}: CDR >= {np.percentile(r.cdr, 75):.1f}")
    bars = ax1.twinx()
    bars.bar(x, r.liquidated[hard].mean(axis=0) / 1e6, color="tab:red", alpha=0.35)
    bars.set_ylabel("mean liquidated value at the mark (millions)")
    ax1.legend(loc="lower left")
    ax1.grid(alpha=0.3)
    for lev in np.unique(r.leverage):
        depths = np.unique(r.depth)
        vals = [r.lp_loss_pct[(r.depth == d) & (r.leverage == lev)] for d in depths]
        ys = [float(v.mean()) if v.size else np.nan for v in vals]
        ax2.plot(100 * depths, ys, marker="o", label=f"mean LTV {lev:.2f}")
    ax2.set_xlabel("pool depth (% of tranche face)")
    ax2.set_ylabel("LP loss vs holding (% of pool value)")
    ax2.set_title("LP loss against pool depth, all shocks")
    ax2.legend()
    ax2.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(file, dpi=110)
    plt.close(fig)
    return file
