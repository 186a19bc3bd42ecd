"""Benchmark: short-rate path generation plus path mortgage rates.

Times ``simulate(n_paths, n_months)`` for Hull-White (exact Gaussian scheme),
Vasicek, CIR (QE, exact non-central chi-square) with pseudo-random and Sobol'
normals, and the 10-year par long rate + mortgage rate on the Hull-White
paths, on the sample Treasury curve. Best of ``--repeat`` runs after a warm-up.
The last line printed is::

    hw_paths_per_s=<...> hw_plus_mortgage_ms=<...>

Run: ``.venv/bin/python bench/rates.py [--paths N] [--months M] [--repeat R]``
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.table import Table

from trancheflow.rates import CIR, HullWhite1F, MortgageRateModel, Vasicek, read_curve_csv

SAMPLE = Path(__file__).resolve().parents[1] / "examples" / "curves" / "treasury_sample.csv"


def best_of(fn: Callable[[], object], repeat: int) -> float:
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paths", type=int, default=1000)
    parser.add_argument("--months", type=int, default=360)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    n, m, rep = args.paths, args.months, args.repeat

    curve = read_curve_csv(SAMPLE)
    hw = HullWhite1F(curve, a=0.05, sigma=0.012)
    vas = Vasicek(a=0.15, b=0.05, sigma=0.015, r0=0.05)
    cir = CIR(a=0.3, b=0.05, sigma=0.08, r0=0.05)
    mortgage = MortgageRateModel()
    hw_paths = hw.simulate(n, m, seed=1)

    cases: list[tuple[str, Callable[[], object]]] = [
        ("Hull-White, pseudo-random, antithetic", lambda: hw.simulate(n, m, seed=1)),
        ("Hull-White, Sobol'", lambda: hw.simulate(n, m, seed=1, sobol=True)),
        ("Vasicek, pseudo-random", lambda: vas.simulate(n, m, seed=1)),
        ("CIR, QE", lambda: cir.simulate(n, m, seed=1)),
        (
            "CIR, exact chi-square",
            lambda: cir.simulate(n, m, seed=1, scheme="exact", antithetic=False),
        ),
        ("10y par long rate + mortgage rate (HW paths)", lambda: mortgage.rate(hw_paths)),
        (
            "Hull-White paths + mortgage rate",
            lambda: mortgage.rate(hw.simulate(n, m, seed=1)),
        ),
    ]
    table = Table(title=f"rates: {n:,} paths x {m} months, best of {rep}")
    table.add_column("case")
    table.add_column("ms", justify="right")
    results = {}
    for name, fn in cases:
        seconds = best_of(fn, rep)
        results[name] = seconds
        table.add_row(name, f"{seconds * 1e3:.1f}")
    Console().print(table)
    hw_s = results["Hull-White, pseudo-random, antithetic"]
    total = results["Hull-White paths + mortgage rate"]
    print(f"hw_paths_per_s={n / hw_s:.0f} hw_plus_mortgage_ms={total * 1e3:.1f}")


if __name__ == "__main__":
    main()
