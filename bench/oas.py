"""Benchmark: Monte Carlo OAS and effective risk of a loan-level pool.

A 10,000-loan synthetic tape (``trancheflow.tape.generate_tape(10000, seed=1)``)
valued as a pass-through on 1,000 Hull-White paths over 360 months, loan by
loan, with the rate-driven prepayment model (default parameters) and no
defaults (an agency pool; ``--default "SDA 100"`` times the general kernel
with defaults). Timed, after a small warm-up run (numba's on-disk cache loads
and the worker processes start outside the timings):

* ``oas_s``: path generation, mortgage rates, loan-level projection of every
  path, discounting and the OAS solve (Brent on the mean, no re-projection),
  plus the zero-volatility Z-spread and option cost (``oas_analysis``);
* ``oas_risk_s``: the above plus effective duration and convexity (two more
  simulations on the ±25bp curves, same seed, prepayments responding);
* ``workers_speedup``: one simulation on one core (inline, numba limited to
  one thread) divided by the same on the default local process pool. Its CPU
  time is printed too: on a shared machine, wall times above the CPU time
  mean other processes took the core.

It also prints the deterministic projection rate (``project_pool``,
loan-months/s) beside the Monte Carlo rate (loan-path-months/s). The last
line printed is::

    oas_s=<seconds> oas_risk_s=<seconds> workers_speedup=<ratio>

Run: ``.venv/bin/python bench/oas.py [--loans N] [--paths P] [--workers W]``
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
from trancheflow.analytics.oas import oas_analysis
from trancheflow.analytics.scale import default_workers, shutdown_pools
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
    parser.add_argument("--workers", type=int, default=None, help="default: all cores")
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
    workers = args.workers or default_workers()
    settings = MonteCarloSettings(n_paths=args.paths, seed=1, workers=workers)

    # deterministic projection rate (warm)
    det = Assumptions("CPR 8", args.default, severity=0.35, recovery_lag=12)
    project_pool(tape, det)
    t = time.perf_counter()
    project_pool(tape, det)
    det_s = time.perf_counter() - t
    det_rate = args.loans * months / det_s

    # warm-up: numba cache and the process pool
    oas_analysis(sec, curve, replace(settings, n_paths=2 * workers), price=args.price)

    t = time.perf_counter()
    values = simulate_values(sec, curve, settings)
    res = oas_analysis(sec, curve, settings, price=args.price, values=values)[0]
    oas_s = time.perf_counter() - t
    t = time.perf_counter()
    risk = effective_risk(sec, curve, settings, price=args.price, values=values)[0]
    oas_risk_s = oas_s + time.perf_counter() - t

    # one core vs the process pool, one simulation each
    one = replace(settings, workers=1)
    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        t, c = time.perf_counter(), time.process_time()
        simulate_values(sec, curve, one)
        one_s, one_cpu = time.perf_counter() - t, time.process_time() - c
    finally:
        numba.set_num_threads(threads)
    t = time.perf_counter()
    simulate_values(sec, curve, settings)
    pool_s = time.perf_counter() - t
    shutdown_pools()

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
    table.add_row("1 core, inline (s, CPU s)", f"{one_s:.2f}, {one_cpu:.2f}")
    table.add_row("CPU per loan-path-month (1 core)", f"{1e9 * one_cpu / lpm:.2f} ns")
    table.add_row(f"{workers} worker processes (s)", f"{pool_s:.2f}")
    console.print(table)
    print(f"oas_s={oas_s:.2f} oas_risk_s={oas_risk_s:.2f} workers_speedup={one_s / pool_s:.2f}")


if __name__ == "__main__":
    main()
