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
4. Tranche-level ML OAS (``trancheflow.models.tranche_pricing.value_tranches``):
   the same 10,000 loans as a three-tranche sequential deal (A 80%, B 15%,
   residual), OAS of A and B at par on the same paths (``tranche_ml_oas_s``,
   projection + waterfall + solve), and the demo-sized call, a 2,000-loan
   pool on 64 paths valued at an OAS (median of 5 calls after a warm-up,
   ``tranche_call_s`` wall and ``tranche_call_cpu_s`` CPU summed over
   threads; the load average is printed beside them, since wall time on a
   shared machine says more about the neighbours than the code).

Last line::

    auc_model=<x> auc_truth=<x> max_decile_calib_err=<x> ml_oas_s=<s> refi_oas_s=<s>

Run: ``.venv/bin/python bench/models.py [--loans N] [--oas-loans L] [--paths P]``
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import replace
from pathlib import Path

from rich.console import Console
from rich.table import Table

from trancheflow.analytics.montecarlo import MonteCarloSettings, pool_security, simulate_values
from trancheflow.analytics.oas import oas_from_price
from trancheflow.collateral import Assumptions
from trancheflow.collateral.prepay_model import RefiPrepayModel
from trancheflow.deal.spec import DealSpec, parse_spec
from trancheflow.models.pricing import compile_model, ml_path_values
from trancheflow.models.simulate import simulate_panel
from trancheflow.models.train import evaluate_model, train_hazard_model
from trancheflow.models.tranche_pricing import value_tranches
from trancheflow.rates import read_curve_csv
from trancheflow.tape import generate_tape

ROOT = Path(__file__).resolve().parents[1]


def _deal(tape: object) -> DealSpec:
    """A sequential A/B/residual deal on ``tape`` (illustrative coupons)."""
    b = round(float(tape["current_balance"].sum()), 2)  # type: ignore[index]
    return parse_spec(
        {
            "deal": "BENCH",
            "currency": {"symbol": "USDC", "decimals": 6},
            "collateral": {"rep_lines": [{"balance": b, "gross_rate": 0.065, "net_rate": 0.06,
                                          "term": 360, "wam": 357, "wala": 3}]},
            "assumptions": {"prepay": "PSA 150", "default": "SDA 100", "severity": 0.35},
            "tranches": [{"name": "A", "balance": round(0.8 * b, 2), "coupon": 0.045},
                         {"name": "B", "balance": round(0.15 * b, 2), "coupon": 0.055},
                         {"name": "R", "residual": True}],
            "waterfall": {"principal": "sequential"},
        }
    )  # fmt: skip


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

    deal = _deal(tape)
    small_tape = tape.iloc[:200]
    value_tranches(_deal(small_tape), small_tape, compiled, paths=8, curve=curve)  # warm-up
    t0 = time.perf_counter()
    tr = value_tranches(
        deal, tape, compiled, prices={"A": 100.0, "B": 100.0}, paths=args.paths, seed=1,
        curve=curve, start_month_of_year=4,
    )  # fmt: skip
    tranche_s = time.perf_counter() - t0
    demo_tape = generate_tape(2_000, seed=2)
    demo_deal = _deal(demo_tape)
    value_tranches(demo_deal, demo_tape, compiled, oas_bp=50.0, paths=64, curve=curve)
    calls, cpus = [], []
    for k in range(5):
        t0, c0 = time.perf_counter(), time.process_time()
        value_tranches(demo_deal, demo_tape, compiled, oas_bp=50.0, paths=64, seed=k, curve=curve)
        calls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    call_s, call_cpu_s = sorted(calls)[2], sorted(cpus)[2]

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
    oas_ab = " / ".join(f"{o:.1f}" for o in tr["oas_bp"])
    t2.add_row("tranche ML OAS A/B at par (s) / OAS (bp)", f"{tranche_s:.2f} / {oas_ab}")
    t2.add_row(
        "demo call: 2,000 loans x 64 paths (s wall / s CPU, all threads; median of 5)",
        f"{call_s:.3f} / {call_cpu_s:.3f}",
    )
    console.print(t2)
    d = ev["default"]
    print(
        f"default_auc_model={d['lightgbm'].auc:.4f} default_auc_truth={d['truth'].auc:.4f} "
        f"prepay_calib_err={pay['lightgbm'].max_decile_err:.4f} "
        f"default_calib_err={d['lightgbm'].max_decile_err:.4f}"
    )
    print(
        f"tranche_ml_oas_s={tranche_s:.2f} tranche_call_s={call_s:.3f} "
        f"tranche_call_cpu_s={call_cpu_s:.3f} load_avg={os.getloadavg()[0]:.1f}"
    )
    print(
        f"auc_model={pay['lightgbm'].auc:.4f} auc_truth={pay['truth'].auc:.4f} "
        f"max_decile_calib_err={calib:.4f} ml_oas_s={ml_s:.2f} refi_oas_s={refi_s:.2f}"
    )


if __name__ == "__main__":
    main()
