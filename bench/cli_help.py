"""Benchmark: how fast the CLI answers ``--help`` (the command modules load lazily).

Runs ``trancheflow --help`` and ``trancheflow <group> --help`` for a few groups
in fresh interpreters, ``--repeat`` times each, and reports the best CPU time
(user + system of the child process) and wall time. On a shared machine,
compare CPU time: wall time above it means other processes held the cores.
The last line printed is::

    root_help_cpu_s=<x> root_help_wall_s=<x> deal_help_cpu_s=<x> price_help_cpu_s=<x> ...

Run: ``.venv/bin/python bench/cli_help.py [--repeat R]``
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time

GROUPS = ("", "deal", "price", "collateral", "chain")
CODE = "import sys; from trancheflow.cli import main; sys.argv = sys.argv[1:]; main()"


def _one(args: list[str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", CODE, "trancheflow", *args, "--help"],
        check=True,
        stdout=subprocess.DEVNULL,
        env={**os.environ, "COLUMNS": "100"},
    )
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    opts = parser.parse_args()
    out = []
    for g in GROUPS:
        runs = [_one([g] if g else []) for _ in range(max(1, opts.repeat))]
        cpu = min(r[0] for r in runs)
        wall = min(r[1] for r in runs)
        name = g or "root"
        print(f"trancheflow {g + ' ' if g else ''}--help: cpu {cpu:.3f} s, wall {wall:.3f} s")
        out.append(f"{name}_help_cpu_s={cpu:.3f}")
        if not g:
            out.append(f"root_help_wall_s={wall:.3f}")
    print(" ".join(out))


if __name__ == "__main__":
    main()
