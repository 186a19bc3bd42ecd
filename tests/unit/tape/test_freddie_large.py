"""Files of many lines are streamed: peak memory does not grow with the number of lines.

Each test writes a synthetic file pair (tests/unit/tape/synth_freddie.py) with a
fixed number of loans and 1x or 4x the months, reads it in chunks of a fixed
size, and compares the peak of Python-tracked memory (tracemalloc sees numpy
and pandas buffers). A reader that loaded the whole file would need about 4x
as much for 4x the lines; the bound allowed is 1.6x. The default sizes keep
the suite fast; the ``slow`` test streams 1.8 million performance lines in a
fresh process and compares its peak resident memory (bound 1.3x).
"""

from __future__ import annotations

import subprocess
import sys
import tracemalloc
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest

from trancheflow.tape.panel_build import build_panel

from .synth_freddie import write_pair


def _peak(fn: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _peaks(tmp_path: Path, loans: int, months: int, chunk: int) -> list[int]:
    out = []
    for k in (1, 4):
        d = tmp_path / f"x{k}"
        d.mkdir()
        o, p, n = write_pair(d, loans, months * k, prepay=0.0)
        assert n == loans * months * k
        out.append(_peak(partial(build_panel, o, p, d / "panel", chunk_rows=chunk)))
    return out


def test_panel_memory_does_not_grow_with_lines(tmp_path: Path) -> None:
    small, large = _peaks(tmp_path, loans=50, months=40, chunk=1_000)  # 2k vs 8k lines
    assert large < 1.6 * small, (small, large)


_CHILD = """
import resource, sys
from trancheflow.tape.panel_build import build_panel
o, p, out, what = sys.argv[1:5]
if what == "panel":
    build_panel(o, p, out, chunk_rows=100_000)
else:
    read_freddie(o, p, chunk_rows=100_000)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


@pytest.mark.slow
def test_1_8_million_lines_stream(tmp_path: Path) -> None:
    # Peak resident memory of a fresh process (no tracing overhead): 0.45M vs 1.8M lines.
    peaks: dict[str, list[int]] = {"panel": [], "tape": []}
    for k in (1, 4):
        d = tmp_path / f"x{k}"
        d.mkdir()
        o, p, n = write_pair(d, 5_000, 90 * k, prepay=0.0)
        assert n == 450_000 * k
        for what in peaks:
            args = [sys.executable, "-c", _CHILD, str(o), str(p), str(d / "panel"), what]
            run = subprocess.run(args, capture_output=True, text=True, check=True)
            peaks[what].append(int(run.stdout.split()[-1]))
    for what, (small, large) in peaks.items():
        assert large < 1.3 * small, (what, small, large)
