"""Benchmark: streaming a Freddie Mac performance file into the tape and the loan-month panel.

Writes a synthetic origination + performance pair in the published 32-field
layout (tests/unit/tape/synth_freddie.py: every loan current, 1% prepaying a
month) with about ``--lines`` performance lines, then times, in this process:
``read_freddie`` (latest record per loan -> tape) and ``build_panel`` (every
loan-month -> Parquet by vintage), each with the default chunk size. The
machine it runs on is shared; figures are indicative. The last line printed is::

    lines=<n> tape_s=<s> panel_s=<s> panel_lines_per_s=<n>

Run: ``.venv/bin/python bench/tape_freddie.py [--lines N]``
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "tests" / "unit" / "tape"))

from synth_freddie import write_pair

from trancheflow.tape import read_freddie
from trancheflow.tape.panel_build import build_panel


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=200_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as d:
        loans = max(args.lines // 63, 1)  # 63 months a loan on average (1% a month, cap 100)
        orig, perf, n = write_pair(Path(d), loans, 100)
        t0 = time.perf_counter()
        tape = read_freddie(orig, perf)
        t1 = time.perf_counter()
        summary = build_panel(orig, perf, Path(d) / "panel")
        t2 = time.perf_counter()
    print(f"{loans:,} loans, {n:,} performance lines: tape of {len(tape):,} loans, "
          f"panel of {summary.rows:,} rows")  # fmt: skip
    print(f"lines={n} tape_s={t1 - t0:.2f} panel_s={t2 - t1:.2f} "
          f"panel_lines_per_s={n / (t2 - t1):.0f}")  # fmt: skip


if __name__ == "__main__":
    main()
