"""Benchmark: ``market stress`` at its target size, 10,000 scenarios x 36 months.

The deal is ``examples/deals/insured.yaml``, tranche B (illustrative deal and
parameters: the defaults of :class:`trancheflow.market.stress.StressConfig`).
Two phases are timed: the model (collateral engine + float waterfall over the
41 shock levels, whole collateral life) and the cascade (all scenarios as
arrays, months and rounds as the loops). Wall and process CPU seconds are
printed; the target in issue 11 is under a minute on this machine (wall).
A warm-up run of 10 scenarios first compiles the numba kernels, so the timed
run measures the work, not the JIT (the JIT's seconds are printed too).

Run: ``.venv/bin/python bench/market_stress.py [n_scenarios] [n_months]``
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from trancheflow.deal.spec import load_spec
from trancheflow.market.stress import StressConfig, _draw, simulate
from trancheflow.market.stress_model import model_paths

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    months = int(sys.argv[2]) if len(sys.argv) > 2 else 36
    spec = load_spec(ROOT / "examples/deals/insured.yaml")
    cfg = StressConfig(n_scenarios=n, n_months=months, tranche="B", seed=7)
    levels = [float(x) for x in np.linspace(0.0, cfg.cdr_max, cfg.levels)]

    w0, c0 = time.perf_counter(), time.process_time()
    model_paths(spec, "B", levels[:2], n_months=months)  # warm-up: numba compile
    jit_s = time.perf_counter() - w0

    w1, c1 = time.perf_counter(), time.process_time()
    model = model_paths(spec, "B", levels, n_months=months)
    w2, c2 = time.perf_counter(), time.process_time()
    level, depth, lev, ltv = _draw(cfg, np.random.default_rng(cfg.seed))
    r = simulate(model, cfg, level, depth, ltv, leverage=lev)
    w3, c3 = time.perf_counter(), time.process_time()

    print(f"warm-up (numba compile) {jit_s:.2f} s wall; total CPU so far {c1 - c0:.2f} s")
    print(
        f"model: {len(levels)} levels x {model.price.shape[1] - 1} months shown, "
        f"{w2 - w1:.2f} s wall, {c2 - c1:.2f} s CPU"
    )
    print(
        f"cascade: {n} scenarios x {months} months x {cfg.n_holders} holders, "
        f"{w3 - w2:.2f} s wall, {c3 - c2:.2f} s CPU"
    )
    print(
        f"scenarios with liquidations {(r.total_liquidated > 0).mean():.1%}, "
        f"max cascade rounds {int(r.cascade_depth.max())}, "
        f"mean LP loss {r.lp_loss_pct.mean():.2f}% of pool value"
    )
    cpu = c3 - c1
    print(
        f"stress_scenarios={n} stress_months={months} stress_s={w3 - w1:.2f} stress_cpu_s={cpu:.2f}"
    )


if __name__ == "__main__":
    main()
