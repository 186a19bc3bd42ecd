"""Repurchases and note sales end a loan with their own status, not ``default``.

Codes from the *Single-Family Loan-Level Dataset General User Guide*'s Zero
Balance Code list: ``96`` repurchase prior to property disposition (``06``, the
same event in Fannie Mae's dataset, read alike), ``15`` note sale, ``16``
reperforming loan sale; ``02``/``03``/``09`` are credit events. The files are
the hand-made dictionary files of ``tests/data/freddie/`` with loan 5's zero
balance code rewritten.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from trancheflow.models.features import STATUS_CODES, from_panel
from trancheflow.models.train import risk_rows
from trancheflow.tape.panel_build import build_panel, read_panel

DATA = Path(__file__).parents[2] / "data" / "freddie"
ORIG = DATA / "sample_orig_2019.txt"
PERF = DATA / "sample_svcg_2019.txt"
LOAN = "F19Q10000005"


def _build(tmp_path: Path, code: str):
    lines = PERF.read_text().splitlines(keepends=True)
    out = []
    for ln in lines:
        f = ln.split("|")
        if f[0] == LOAN and f[8] == "96":
            f[8] = code
        out.append("|".join(f))
    tmp_path.mkdir(parents=True, exist_ok=True)
    perf = tmp_path / "svcg.txt"
    perf.write_text("".join(out))
    summary = build_panel(ORIG, perf, tmp_path / "panel")
    return summary, read_panel(tmp_path / "panel")


@pytest.mark.parametrize(
    ("code", "status", "removed"),
    [("96", "repurchased", 1), ("06", "repurchased", 1), ("15", "note_sale", 1),
     ("16", "note_sale", 1), ("03", "default", 0), ("09", "default", 0)],
)  # fmt: skip
def test_zero_balance_code_sets_the_terminal_status(tmp_path, code, status, removed):
    summary, panel = _build(tmp_path, code)
    last = panel[panel["loan_id"] == LOAN].iloc[-1]
    assert last["status"] == status
    assert last["zero_balance_code"] == code
    assert summary.removed == removed
    # the other loans keep their endings: 01 prepaid; 09, 03, 02 defaults
    ends = panel.groupby("loan_id")["status"].last()
    assert ends["F19Q10000001"] == "prepaid"
    assert summary.defaulted == 3 + (removed == 0)
    assert summary.prepaid == 1


def test_hazard_targets_leave_repurchases_and_note_sales_out(tmp_path):
    for code in ("96", "15"):
        _, panel = _build(tmp_path / code, code)
        lm = from_panel(panel)
        (row,) = np.flatnonzero(lm.status >= STATUS_CODES["repurchased"])
        for risk in ("prepay", "default", "cure"):
            rows, y = risk_rows(lm, risk)
            assert row not in rows
            assert len(rows) == len(y)
        # with the code read as a payoff the same month would be a prepay event
        lm.status[row] = STATUS_CODES["prepaid"]
        rows, y = risk_rows(lm, "prepay")
        assert row in rows and y[list(rows).index(row)] == 1.0
