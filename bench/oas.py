"""Benchmark: Monte Carlo OAS and effective risk of a loan-level pool.

A 10,000-loan synthetic tape (``trancheflow.tape.generate_tape(10000, seed=1)``)
valued as a pass-through on 1,000 Hull-White paths over 360 months, loan by
loan, with the rate-driven prepayment model (default parameters) and no
defaults (an agency pool). The loan-level kernel
(:func:`~trancheflow.collateral.path_kernel.mc_kernel`) runs loans in the
innermost, branch-free float32 SIMD loop and paths on numba threads (no
process pool, nothing pickled). Timed, after a small warm-up run:

* ``oas_s``: path generation, mortgage rates, loan-level projection of every
  path, discounting and the OAS solve, plus the zero-volatility Z-spread and
  option cost (``oas_analysis``);
* ``oas_risk_s``: the above plus effective duration and convexity (the ±25bp
  curves, same random numbers, projected together in one kernel call);
* ``workers_speedup``: one simulation with numba on one thread divided by the
  same on all threads;
* ``cpu_ns_per_loan_path_month``: CPU time (``time.process_time``) of the
  one-thread simulation per loan-path-month. The machine may be shared: CPU
  time, not wall time, is the figure to compare.

It also prints the float32 kernel's price difference against float64 (same
paths, cents per 100 of face) and the deterministic ``project_pool`` rate.
The last line printed is::

    oas_s=<s> oas_risk_s=<s> workers_speedup=<x> cpu_ns_per_loan_path_month=<ns>

Run: ``.venv/bin/python bench/oas.py [--loans N] [--paths P] [--threads T]``
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from pathlib import Path

import numba
from rich.console import Console
from rich.table import Table

from trancheflow.analytics.mc_risk import effective_risk
from trancheflow.analytics.montecarlo import MonteCarloSettings, pool_security, simulate_values
from trancheflow.analytics.oas import oas_analysis, price_from_oas
from trancheflow.analytics.scale import default_workers
from trancheflow.collateral import Assumptions, project_pool
from trancheflow.collateral.loans import loan_arrays
from trancheflow.collateral.prepay_model import RefiPrepayModel
from trancheflow.rates import read_curve_csv
from trancheflow.tape import generate_tape

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--loans", type=int, default=10_000)
    parser.add_argument("--paths", type=int, default=1_000)
    parser.add_argument("--threads", type=int, default=None, help="numba threads (all cores)")
    parser.add_argument("--default", default="CDR 0", help="default speed, e.g. 'SDA 100'")
    parser.add_argument("--price", type=float, default=100.0, help="full price, %% of face")
    args = parser.parse_args()
    console = Console()

    tape = generate_tape(args.loans, seed=1)
    loans = loan_arrays(tape)
    months = int(loans.life.max())
    curve = read_curve_csv(ROOT / "examples/curves/treasury_sample.csv")
    assumptions = Assumptions("CPR 0", args.default, severity=0.35, recovery_lag=12)
    sec = pool_security(loans, assumptions, RefiPrepayModel(), start_month_of_year=4)
    threads = args.threads or default_workers()
    numba.set_num_threads(threads)
    settings = MonteCarloSettings(n_paths=args.paths, seed=1)

    # deterministic projection rate (warm)
    det = Assumptions("CPR 8", args.default, severity=0.35, recovery_lag=12)
    project_pool(tape, det)
    t = time.perf_counter()
    project_pool(tape, det)
    det_s = time.perf_counter() - t
    det_rate = args.loans * months / det_s

    # warm-up: numba cache
    oas_analysis(sec, curve, replace(settings, n_paths=16), price=args.price)

    t, c = time.perf_counter(), time.process_time()
    values = simulate_values(sec, curve, settings)
    res = oas_analysis(sec, curve, settings, price=args.price, values=values)[0]
    oas_s = time.perf_counter() - t
    risk = effective_risk(sec, curve, settings, price=args.price, values=values)[0]
    oas_risk_s, oas_risk_cpu = time.perf_counter() - t, time.process_time() - c

    # one thread vs all threads, one simulation each
    numba.set_num_threads(1)
    try:
        t, c = time.perf_counter(), time.process_time()
        simulate_values(sec, curve, settings)
        one_s, one_cpu = time.perf_counter() - t, time.process_time() - c
    finally:
        numba.set_num_threads(threads)
    t = time.perf_counter()
    simulate_values(sec, curve, settings)
    pool_s = time.perf_counter() - t

    # float32 vs float64 (same paths): price at the solved OAS, cents per 100
    acc_paths = min(args.paths, 200)
    s32 = replace(settings, n_paths=acc_paths)
    v32 = simulate_values(sec, curve, s32)
    v64 = simulate_values(sec, curve, replace(s32, precision="float64"))
    cents = 100.0 * max(
        abs(float(price_from_oas(v32, [o])[0][0]) - float(price_from_oas(v64, [o])[0][0]))
        for o in (0.0, res.oas, 0.03)
    )

    lpm = args.loans * args.paths * months
    table = Table(title=f"OAS of {args.loans:,} loans x {args.paths:,} paths x {months} months")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row("deterministic project_pool", f"{det_rate / 1e6:,.1f} M loan-months/s")
    table.add_row("Monte Carlo (OAS run)", f"{lpm / oas_s / 1e6:,.1f} M loan-path-months/s")
    table.add_row("MC time / one deterministic projection", f"{oas_s / det_s:,.0f}x")
    table.add_row(
        "OAS / Z / option cost",
        f"{1e4 * res.oas:.1f} / {1e4 * res.zspread:.1f} / "
        f"{1e4 * res.option_cost:.1f} bp (± {1e4 * res.oas_se:.1f})",
    )
    table.add_row("price ± MC SE", f"{res.price:.4f} ± {res.price_se:.4f}")
    table.add_row(
        "effective duration / convexity",
        f"{risk.effective_duration:.3f} / {risk.effective_convexity:.2f}",
    )
    table.add_row("OAS (s)", f"{oas_s:.2f}")
    table.add_row("OAS + duration + convexity (s)", f"{oas_risk_s:.2f}")
    table.add_row("OAS + duration + convexity CPU (s, all threads)", f"{oas_risk_cpu:.2f}")
    table.add_row("1 thread (s, CPU s)", f"{one_s:.2f}, {one_cpu:.2f}")
    table.add_row("CPU per loan-path-month (1 thread)", f"{1e9 * one_cpu / lpm:.2f} ns")
    table.add_row(f"{threads} numba threads (s)", f"{pool_s:.2f}")
    table.add_row(
        f"float32 vs float64 price ({acc_paths} paths)", f"{cents:.4f} cents per 100 (max)"
    )
    console.print(table)
    print(
        f"oas_s={oas_s:.2f} oas_risk_s={oas_risk_s:.2f} workers_speedup={one_s / pool_s:.2f} "
        f"cpu_ns_per_loan_path_month={1e9 * one_cpu / lpm:.2f}"
    )


if __name__ == "__main__":
    main()
