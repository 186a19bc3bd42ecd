"""Waterfall throughput: float mode over 1,000 paths x 360 periods x 6 tranches,
and one 360-period exact (integer) run of the same deal.

Usage: ``python bench/waterfall.py [--paths 1000] [--repeat 3]``. The last line
is ``float_path_periods_per_s=<n> exact_periods_per_s=<n>``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from trancheflow.collateral import Assumptions, RepLine, project_scenarios
from trancheflow.deal.collections import Collections
from trancheflow.deal.exact import ExactWaterfall
from trancheflow.deal.params import WaterfallParams
from trancheflow.deal.spec import DealSpec
from trancheflow.deal.waterfall import FloatWaterfall

SPEC = {
    "deal": "BENCH-6",
    "collateral": {
        "rep_lines": [
            {"balance": 500_000_000, "gross_rate": 0.07, "net_rate": 0.065, "term": 360, "wam": 360}
        ]
    },
    "fees": [{"name": "trustee", "rate": 0.0002}],
    "tranches": [
        {"name": "A1", "balance": 150_000_000, "coupon": 0.045},
        {"name": "A2", "balance": 150_000_000, "coupon": 0.05},
        {"name": "M1", "balance": 80_000_000, "coupon": 0.055},
        {"name": "M2", "balance": 50_000_000, "coupon": 0.06},
        {"name": "B", "balance": 30_000_000, "coupon": 0.065},
        {"name": "Z", "balance": 25_000_000, "coupon": 0.065, "accrual": True},
        {"name": "R", "residual": True},
    ],
    "waterfall": {"principal": "pro_rata"},
    "reserve": {"target": 0.01, "floor": 1_000_000},
    "overcollateralization": {"target": 0.01},
    "triggers": [
        {
            "name": "cl",
            "metric": "cumulative_loss_pct",
            "above": 0.02,
            "then": {"principal": "sequential"},
        }
    ],
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--paths", type=int, default=1000)
    ap.add_argument("--periods", type=int, default=360)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    spec = DealSpec.model_validate(SPEC)
    params = WaterfallParams.from_spec(spec)
    line = RepLine(500_000_000.0, 0.07, 0.065, 360, 360, 0)
    speeds = [
        Assumptions(f"PSA {s}", f"SDA {d}", 0.4, 12) for s in (100, 200, 400) for d in (0, 200)
    ]
    cube = project_scenarios(line, speeds, n_periods=args.periods)
    rng = np.random.default_rng(1)
    pick = rng.integers(0, len(speeds), args.paths)
    coll = Collections.from_scenarios(cube[pick])
    print(f"deal: {params.n_tranches} tranches, {args.paths} paths x {args.periods} periods")

    wf = FloatWaterfall(params)
    wf.run(Collections.from_scenarios(cube[:2]), pool_balance=5e8)  # warm-up
    best = float("inf")
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        r = wf.run(coll, pool_balance=5e8)
        best = min(best, time.perf_counter() - t0)
    fpps = args.paths * args.periods / best
    gap = np.abs(r.cash_in - r.cash_out).max()
    print(f"float: {best:.3f} s best of {args.repeat}; max conservation gap {gap:.2e}")

    inputs = (
        Collections.from_scenarios(cube[5:6]).path(0).to_exact(params.decimals, params.pool_balance)
    )
    ex = ExactWaterfall(params)
    best_e = float("inf")
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        ex.run(inputs, params.pool_balance)
        best_e = min(best_e, time.perf_counter() - t0)
    eps = len(inputs) / best_e
    print(f"exact: {best_e * 1e3:.1f} ms for {len(inputs)} periods")
    print(f"float_path_periods_per_s={fpps:.0f} exact_periods_per_s={eps:.0f}")


if __name__ == "__main__":
    main()
