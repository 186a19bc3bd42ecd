"""Benchmark: deterministic loan-level projection, numba kernel vs plain NumPy.

100,000 synthetic loans (seeded numpy generator: mixed ages, rates, terms,
a few interest-only and balloon loans) x 360 months under PSA 150 / SDA 100 /
severity 35% / 12 months to liquidation, advancing. Both implementations run
in this process on the same loan arrays; the numba kernel is timed after a
warm-up compile, best of several runs; its CPU time is printed too (on a
shared machine, compare CPU time: wall time above CPU time / threads means
other processes took the cores). The last line printed is::

    loan_months_per_s=<numba> numpy_loan_months_per_s=<numpy> speedup=<ratio>

Run: ``.venv/bin/python bench/collateral.py [--loans N] [--repeat R]``
"""

from __future__ import annotations

import argparse
import time

import numba
import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table

from trancheflow.collateral import Assumptions, project_pool
from trancheflow.collateral.kernel import LANES, project_kernel
from trancheflow.collateral.loans import loan_arrays
from trancheflow.collateral.projection import _columns, _prepare, _tables
from trancheflow.collateral.reference import reference_project


def synthetic_tape(n: int, seed: int = 20240611) -> pd.DataFrame:
    """Mixed 30- and 15-year fixed loans, 10% IO, 5% balloons."""
    rng = np.random.default_rng(seed)
    term = np.where(rng.random(n) < 0.8, 360, 180)
    age = np.minimum(rng.integers(0, 120, n), term - 1)
    kind = rng.choice(["level_pay", "interest_only", "balloon"], n, p=[0.85, 0.10, 0.05])
    note = np.round(rng.uniform(0.03, 0.08, n), 5)
    return pd.DataFrame(
        {
            "current_balance": np.round(rng.lognormal(12.3, 0.5, n), 2),
            "note_rate": note,
            "net_rate": note - 0.0025,
            "original_term": term,
            "loan_age": age,
            "remaining_term": term - age,
            "amortization_type": kind,
            "io_term": np.where(kind == "interest_only", 120, 0),
            "balloon_term": np.where(kind == "balloon", np.maximum(age + 1, 84), 0),
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loans", type=int, default=100_000)
    parser.add_argument("--periods", type=int, default=360)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()

    console = Console()
    a = Assumptions("PSA 150", "SDA 100", severity=0.35, recovery_lag=12, advance=True)
    tape = synthetic_tape(args.loans)
    loans, n = _prepare(loan_arrays(tape), args.periods)
    smm, smm_age, mdr, mdr_age = _tables(a, int(loans.age0.max()), n)
    base = (
        loans.bal, loans.rate_m, loans.net_m, loans.fee_m, loans.n_amort, loans.io_left,
        loans.life, loans.age0, smm, smm_age, mdr, mdr_age,
        a.severity, a.recovery_lag, a.advance, n,
    )  # fmt: skip

    n_chunks = max(1, min((loans.n_loans + LANES - 1) // LANES, 2 * numba.get_num_threads()))
    loan_months = float(args.loans) * n

    t0 = time.perf_counter()
    project_kernel(*base, n_chunks)  # warm-up (compile or load cache)
    warm = time.perf_counter() - t0
    times, cpus = [], []
    for _ in range(args.repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        acc_nb = project_kernel(*base, n_chunks)
        times.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    t_nb = min(times)
    cpu_nb = min(cpus)

    np_times = []
    for _ in range(max(1, args.repeat // 3)):
        t0 = time.perf_counter()
        acc_np = reference_project(*base)
        np_times.append(time.perf_counter() - t0)
    t_np = min(np_times)

    t0 = time.perf_counter()
    frame = project_pool(tape, a, n_periods=n)
    t_api = time.perf_counter() - t0

    diff = np.max(np.abs(_columns(acc_nb, a) - _columns(acc_np, a)))
    scale = float(loans.bal.sum())
    table = Table(title=f"collateral projection: {args.loans:,} loans x {n} months, {a}")
    table.add_column("implementation")
    table.add_column("seconds", justify="right")
    table.add_column("loan-months / s", justify="right")
    table.add_row("numba kernel (best)", f"{t_nb:.4f}", f"{loan_months / t_nb:,.0f}")
    table.add_row("numpy reference (best)", f"{t_np:.4f}", f"{loan_months / t_np:,.0f}")
    table.add_row("project_pool (incl. validation)", f"{t_api:.4f}", f"{loan_months / t_api:,.0f}")
    table.add_row(
        "numba kernel, CPU time (all threads)", f"{cpu_nb:.4f}", f"{loan_months / cpu_nb:,.0f}"
    )
    table.add_row("numba warm-up (compile / cache load)", f"{warm:.2f}", "")
    console.print(table)
    active = float(np.minimum(loans.life, n).sum())
    console.print(
        f"threads={numba.get_num_threads()}  max |numba - numpy| / pool balance = "
        f"{diff / scale:.2e}  total cash = {frame['total_cash_flow'].sum():,.2f}\n"
        f"loan-months = loans x horizon = {loan_months:,.0f} "
        f"(of which before each loan's maturity/balloon: {active:,.0f})\n"
        f"on a shared machine compare CPU time: loan-months per CPU-second x threads = "
        f"{loan_months / cpu_nb * numba.get_num_threads():,.0f} (the wall rate of an idle machine)"
    )
    nb_rate, np_rate = loan_months / t_nb, loan_months / t_np
    print(
        f"loan_months_per_s={nb_rate:.0f} numpy_loan_months_per_s={np_rate:.0f} "
        f"speedup={nb_rate / np_rate:.1f}"
    )


if __name__ == "__main__":
    main()
