"""Panel statuses follow the performance codes for any loan history and any chunk size."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from trancheflow.tape.panel_build import build_panel, read_panel

DATA = Path(__file__).parents[2] / "data" / "freddie"
# First line of the hand-made origination file, with the loan number replaced.
ORIG = (DATA / "sample_orig_2019.txt").read_text().splitlines()[0]

DQ = st.sampled_from(["0", "1", "2", "3", "5", "RA", "XX"])
ENDS = st.sampled_from([None, "01", "02", "03", "09", "96", "06", "15", "16"])
#: Terminal status by zero balance code (General User Guide's code list; 06 read as 96).
END_STATUS = {
    **dict.fromkeys(("02", "03", "09"), "default"),
    "01": "prepaid",
    **dict.fromkeys(("96", "06"), "repurchased"),
    **dict.fromkeys(("15", "16"), "note_sale"),
}
HISTORY = st.tuples(st.lists(DQ, min_size=0, max_size=8), ENDS).filter(
    lambda h: len(h[0]) > 0 or h[1] is not None
)
EXPECT = {"0": "current", "1": "d30", "2": "d60", "3": "d90p", "5": "d90p", "RA": "fc_reo"}


def _line(loan: str, month: int, dq: str, zbc: str | None) -> str:
    period = f"{2019 + month // 12}{month % 12 + 1:02d}"
    upb = "0.00" if zbc else "179000.00"
    zb = f"{zbc}|{period}" if zbc else "|"
    return f"{loan}|{period}|{upb}|{dq}|{month:03d}|{360 - month}|||{zb}|4.625" + "|" * 21


@settings(max_examples=12, deadline=None)
@given(st.lists(HISTORY, min_size=1, max_size=4), st.integers(1, 9))
def test_status_of_every_row(histories: list[tuple[list[str], str | None]], chunk: int) -> None:
    orig, perf, expected = [], [], []
    for k, (dqs, end) in enumerate(histories):
        loan = f"F19Q1{k:07d}"
        orig.append(ORIG.replace("F19Q10000001", loan))
        previous = "current"
        for m, dq in enumerate(dqs):
            perf.append(_line(loan, m, dq, None))
            previous = EXPECT.get(dq, previous)  # XX keeps the previous status
            expected.append((loan, previous))
        if end is not None:
            perf.append(_line(loan, len(dqs), "0", end))
            expected.append((loan, END_STATUS[end]))
    with tempfile.TemporaryDirectory() as d:
        o, p = Path(d) / "o.txt", Path(d) / "p.txt"
        o.write_text("\n".join(orig) + "\n")
        p.write_text("\n".join(perf) + "\n")
        summary = build_panel(o, p, Path(d) / "panel", chunk_rows=chunk)
        panel = read_panel(Path(d) / "panel")
    assert list(zip(panel["loan_id"], panel["status"], strict=True)) == expected
    assert summary.loans == len(histories) and summary.rows == len(expected)
