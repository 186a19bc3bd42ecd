"""Benchmark: ML hazards learned from a ground-truth panel, and ML-driven Monte Carlo OAS.

1. A ground-truth loan-month panel (``trancheflow.models.simulate``): ``--loans``
   loans (default 50,000) originated 2012-2019 and observed to 2022-12 under
   known monthly prepay/default/cure hazards.
2. One LightGBM model per risk (interaction-constrained, additive groups)
   trained on 2012-2020, tested out of time on 2021-2022, against the true
   hazards, a logistic baseline, PSA 100 / SDA 100 and the S-curve model.
   ``auc_model`` / ``auc_truth`` on the last line are the **prepay** model's
   and the true prepay hazards' test AUC; ``max_decile_calib_err`` is the
   largest ``|forecast / true - 1|`` over the ten deciles of the prepay and
   default models (against the true hazards, so free of sampling noise).
3. OAS of a 10,000-loan tape (``generate_tape(10000, seed=1)``) as a
   pass-through on 1,000 Hull-White paths × 360 months, twice in the same
   run, both inline with numba threads over path groups: ``refi_oas_s`` with
   the rate-driven S-curve model (``simulate_values`` + ``oas_from_price``),
   ``ml_oas_s`` with the trained model compiled to tables
   (``ml_path_values`` + ``oas_from_price``). Both include path generation,
   projection and the OAS solve; both kernels are warmed up (numba compiled)
   first; compiling the trees to tables is timed apart.

Last line::

    auc_model=<x> auc_truth=<x> max_decile_calib_err=<x> ml_oas_s=<s> refi_oas_s=<s>

Run: ``.venv/bin/python bench/models.py [--loans N] [--oas-loans L] [--paths P]``
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from pathlib import Path

from rich.console import Console
from rich.table import Table

from trancheflow.analytics.montecarlo import MonteCarloSettings, pool_security, simulate_values
from trancheflow.analytics.oas import oas_from_price
from trancheflow.collateral import Assumptions
from trancheflow.collateral.prepay_model import RefiPrepayModel
from trancheflow.models.pricing import compile_model, ml_path_values
from trancheflow.models.simulate import simulate_panel
from trancheflow.models.train import evaluate_model, train_hazard_model
from trancheflow.rates import read_curve_csv
from trancheflow.tape import generate_tape

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--loans", type=int, default=50_000)
    parser.add_argument("--oas-loans", type=int, default=10_000)
    parser.add_argument("--paths", type=int, default=1_000)
    parser.add_argument("--rounds", type=int, default=1_000)
    parser.add_argument("--no-logistic", action="store_true")
    args = parser.parse_args()
    console = Console()

    t0 = time.perf_counter()
    sim = simulate_panel(args.loans, seed=1, originate=("2012-01", "2019-12"), end="2022-12")
    sim_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    model = train_hazard_model(
        sim.panel,
        sim.market,
        split="2021-01",
        rounds=args.rounds,
        logistic=not args.no_logistic,
        progress=lambda s: console.log(s),
        name="bench",
    )
    train_s = time.perf_counter() - t0
    ev = evaluate_model(model, sim.panel, sim.market, truth=sim.truth_prob)

    table = Table(
        title=f"Out-of-time (2021-2022) scores, {args.loans:,} loans, {sim.panel.n_rows:,} rows"
    )
    for c in ("risk", "forecaster", "rows", "events", "AUC", "log-loss", "Brier", "mean/true-1",
              "max decile err"):  # fmt: skip
        table.add_column(c, justify="right")
    for risk, res in ev.items():
        truth_mean = res["truth"].mean_forecast
        for name, s in res.items():
            table.add_row(
                risk,
                name,
                f"{s.rows:,}",
                f"{s.events:,}",
                f"{s.auc:.4f}",
                f"{s.log_loss:.5f}",
                f"{s.brier:.6f}",
                f"{s.mean_forecast / truth_mean - 1:+.3f}",
                f"{s.max_decile_err:.3f}",
            )
    console.print(table)

    curve = read_curve_csv(ROOT / "examples/curves/treasury_sample.csv")
    tape = generate_tape(args.oas_loans, seed=1)
    settings = MonteCarloSettings(n_paths=args.paths, seed=1, workers=1)
    small = replace(settings, n_paths=8)
    refi_sec = pool_security(
        tape, Assumptions("CPR 0", "CDR 0"), RefiPrepayModel(), start_month_of_year=4
    )
    t0 = time.perf_counter()
    compiled = compile_model(model)
    compile_s = time.perf_counter() - t0
    # warm-up: numba compilation / cache load of both kernels
    simulate_values(refi_sec, curve, small)
    ml_path_values(tape.iloc[:50], compiled, curve, small, start_month_of_year=4)

    t0 = time.perf_counter()
    refi_values = simulate_values(refi_sec, curve, settings)
    refi_oas = float(oas_from_price(refi_values, 100.0)[0])
    refi_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    ml_values = ml_path_values(tape, compiled, curve, settings, start_month_of_year=4)
    ml_oas = float(oas_from_price(ml_values, 100.0)[0])
    ml_s = time.perf_counter() - t0

    pay = ev["prepay"]
    calib = max(ev["prepay"]["lightgbm"].max_decile_err, ev["default"]["lightgbm"].max_decile_err)
    t2 = Table(title=f"OAS at 100, {args.oas_loans:,} loans x {args.paths:,} paths x 360 months")
    t2.add_column("measure")
    t2.add_column("value", justify="right")
    t2.add_row("simulate panel (s)", f"{sim_s:.1f}")
    t2.add_row("train (s)", f"{train_s:.1f}")
    t2.add_row(
        "trees (prepay/default/cure)", "/".join(str(b.num_trees()) for b in model.boosters.values())
    )
    t2.add_row("compile trees to tables (s)", f"{compile_s:.2f}")
    t2.add_row("refi S-curve OAS (s) / OAS (bp)", f"{refi_s:.2f} / {1e4 * refi_oas:.1f}")
    t2.add_row("ML OAS (s) / OAS (bp)", f"{ml_s:.2f} / {1e4 * ml_oas:.1f}")
    t2.add_row("ML / refi time", f"{ml_s / refi_s:.2f}x")
    console.print(t2)
    d = ev["default"]
    print(
        f"default_auc_model={d['lightgbm'].auc:.4f} default_auc_truth={d['truth'].auc:.4f} "
        f"prepay_calib_err={pay['lightgbm'].max_decile_err:.4f} "
        f"default_calib_err={d['lightgbm'].max_decile_err:.4f}"
    )
    print(
        f"auc_model={pay['lightgbm'].auc:.4f} auc_truth={pay['truth'].auc:.4f} "
        f"max_decile_calib_err={calib:.4f} ml_oas_s={ml_s:.2f} refi_oas_s={refi_s:.2f}"
    )


if __name__ == "__main__":
    main()
