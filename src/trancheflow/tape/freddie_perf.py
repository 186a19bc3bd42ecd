"""Freddie Mac monthly performance files: typed records, and a loan's record as of a month.

Examples
--------
>>> import tempfile, pathlib
>>> rows = ["F19Q10000001|201904|0|0|1|359|||||4.625",
...         "F19Q10000001|201905|179000|RA|2|358|||||4.625"]
>>> with tempfile.TemporaryDirectory() as d:
...     p = pathlib.Path(d) / "svcg.txt"
...     _ = p.write_text("\\n".join(rows) + "\\n")
...     recs = pd.concat(performance_records(p, ProblemLog(5)))
>>> recs["dq"].tolist(), recs["upb"].tolist()
([0, -2], [0.0, 179000.0])
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

import numpy as np
import pandas as pd

from .freddie_layout import PERFORMANCE, PERFORMANCE_MIN_WIDTH
from .freddie_scan import (
    DEFAULT_CHUNK_ROWS,
    Chunk,
    ProblemLog,
    check_fields,
    codes,
    numbers,
    periods,
    scan,
)

__all__ = ["DQ_REO", "DQ_UNKNOWN", "apply_performance", "performance_records"]

DQ_UNKNOWN = -1
"""``dq`` of a record whose delinquency status is ``XX`` (unknown) or blank."""
DQ_REO = -2
"""``dq`` of a record whose delinquency status is ``RA`` (REO acquisition; ``R`` in old files)."""

_P = {f.name: f for f in PERFORMANCE}
_P_READ = frozenset(
    {"monthly_reporting_period", "current_actual_upb", "loan_age",
     "remaining_months_to_legal_maturity", "current_interest_rate", "actual_loss_calculation",
     "modification_flag", "zero_balance_code", "zero_balance_effective_date"}
)  # fmt: skip


def _delinquency(chunk: Chunk, file: str, log: ProblemLog) -> np.ndarray:
    text = chunk.raw["current_loan_delinquency_status"]
    # A file holds a handful of distinct statuses: classify those, then index.
    index, uniques = pd.factorize(text.to_numpy(dtype=object))
    value = np.empty(len(uniques) + 1, dtype=np.int64)
    bad = np.zeros(len(uniques) + 1, dtype=bool)
    for j, u in enumerate(uniques):
        code = str(u).strip()
        if re.fullmatch(r"\d{1,3}", code):
            value[j] = int(code)
        elif code in ("RA", "R"):
            value[j] = DQ_REO
        else:
            value[j] = DQ_UNKNOWN
            bad[j] = code not in ("XX", "")
    value[-1], bad[-1] = DQ_UNKNOWN, False  # factorize gives -1 for a missing value
    rule = "must be months delinquent 0-999, RA (REO acquisition) or XX (unknown)"
    for i in np.flatnonzero(bad[index]):
        log.add(file, int(chunk.lines[i]), "current_loan_delinquency_status", text.iloc[i], rule)
    return value[index]


def performance_records(
    path: str | os.PathLike[str],
    log: ProblemLog,
    *,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    progress: bool = False,
) -> Iterator[pd.DataFrame]:
    """Stream a performance file as typed monthly records.

    Yields frames with ``loan_id``, ``period`` (months since year 0, -1 when
    unreadable), ``upb``, ``age``, ``rem``, ``rate`` (percent), ``loss``
    (Actual Loss Calculation as written: negative is a loss; NaN when blank or
    absent from the release), ``dq`` (months delinquent, :data:`DQ_REO`,
    :data:`DQ_UNKNOWN`), ``mod`` and ``zbc`` (codes or None), ``zb_date``
    (months, -1), ``line`` and ``bad`` (a layout problem on the line, logged).
    """
    file = str(path)
    for chunk in scan(path, PERFORMANCE, PERFORMANCE_MIN_WIDTH, log, chunk_rows=chunk_rows,
                      progress=progress):  # fmt: skip
        before = len(log.problems)
        loan = chunk.raw["loan_sequence_number"]
        for i in np.flatnonzero((loan == "").to_numpy()):
            log.add(file, int(chunk.lines[i]), "loan_sequence_number", None, "must not be blank")
        rec = pd.DataFrame({"loan_id": pd.Series(loan.to_numpy(dtype=object), dtype=object)})
        rec["period"] = periods(chunk, _P["monthly_reporting_period"], file, log)
        rec["upb"] = numbers(chunk, _P["current_actual_upb"], file, log)
        rec["age"] = numbers(chunk, _P["loan_age"], file, log)
        rec["rem"] = numbers(chunk, _P["remaining_months_to_legal_maturity"], file, log)
        rec["rate"] = numbers(chunk, _P["current_interest_rate"], file, log)
        rec["loss"] = numbers(chunk, _P["actual_loss_calculation"], file, log)
        rec["dq"] = _delinquency(chunk, file, log)
        rec["mod"] = codes(chunk, _P["modification_flag"], file, log)
        rec["zbc"] = codes(chunk, _P["zero_balance_code"], file, log)
        rec["zb_date"] = periods(chunk, _P["zero_balance_effective_date"], file, log)
        check_fields(chunk, PERFORMANCE, file, log, _P_READ)
        rec["line"] = chunk.lines
        bad_lines = [p.row for p in log.problems[before:] if p.file == file and p.row]
        rec["bad"] = np.isin(chunk.lines, bad_lines) | (loan == "").to_numpy() | (rec["period"] < 0)
        yield rec


def _scheduled(b0: np.ndarray, rate: np.ndarray, n: np.ndarray, k: np.ndarray) -> np.ndarray:
    r = rate / 12.0
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        g_n, g_k = (1 + r) ** n, (1 + r) ** k
        bal = np.where(r > 0, b0 * (g_n - g_k) / (g_n - 1), b0 * (1 - k / n))
    return np.round(bal, 2)


def apply_performance(
    path: str | os.PathLike[str],
    tape: pd.DataFrame,
    orig: pd.DataFrame,
    ofile: str,
    cap: int | None,
    log: ProblemLog,
    *,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    progress: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Fill a tape's performance columns in place from each loan's latest record <= ``cap``.

    Memory holds one record per loan (the latest so far), not the file.
    Returns (rows kept, performance line per row; 0 where none).
    """
    pfile = str(path)
    known = pd.Index(orig["loan_id"])
    first = pd.Series(np.arange(len(orig)), index=known)
    first = first[~first.index.duplicated()]
    latest: pd.DataFrame | None = None
    seen = np.zeros(len(orig), dtype=bool)
    stray: set[str] = set()
    for rec in performance_records(path, log, chunk_rows=chunk_rows, progress=progress):
        rec = rec[~rec["bad"].to_numpy()]
        pos = first.reindex(rec["loan_id"]).to_numpy(dtype=float)
        missing = np.isnan(pos)
        for i in np.flatnonzero(missing):
            lid = rec["loan_id"].iloc[i]
            if lid not in stray and lid not in log.skipped_keys:
                stray.add(lid)
                log.add(pfile, int(rec["line"].iloc[i]), "loan_sequence_number", lid,
                        f"has no record in {ofile}")  # fmt: skip
        rec = rec[~missing].assign(pos=pos[~missing].astype(np.int64))
        seen[rec["pos"].to_numpy()] = True
        if cap is not None:
            rec = rec[rec["period"].to_numpy() <= cap]
        both = rec if latest is None else pd.concat([latest, rec], ignore_index=True)
        both = both.sort_values(["pos", "period", "line"], kind="stable")
        dup = both.duplicated(["pos", "period"], keep="first").to_numpy()
        for i in np.flatnonzero(dup):
            log.add(pfile, int(both["line"].iloc[i]), "monthly_reporting_period",
                    int(both["period"].iloc[i]) // 12 * 100 + int(both["period"].iloc[i]) % 12 + 1,
                    "repeats an earlier record of this loan")  # fmt: skip
        latest = both.drop_duplicates("pos", keep="last")

    for i in np.flatnonzero(~seen):
        log.add(ofile, int(orig["line"].iloc[i]), "loan_sequence_number",
                orig["loan_id"].iloc[i], f"has no record in {pfile}")  # fmt: skip
    n = len(tape)
    has = np.zeros(n, dtype=bool)
    perf_line = np.zeros(n, dtype=np.int64)
    if latest is None or len(latest) == 0:
        # No record on or before as_of: loans that have not started reporting are left out.
        return has | ~seen, perf_line
    p = latest["pos"].to_numpy()
    has[p] = True
    perf_line[p] = latest["line"].to_numpy()

    def put(col: str, values: np.ndarray) -> None:
        arr = tape[col].to_numpy(dtype=float).copy()
        arr[p] = values
        tape[col] = arr

    terminated = np.zeros(n, dtype=bool)
    terminated[p] = latest["zbc"].notna().to_numpy()
    put("current_balance", latest["upb"].to_numpy())
    put("loan_age", latest["age"].to_numpy())
    put("remaining_term", latest["rem"].to_numpy())
    rate = latest["rate"].to_numpy()
    note = tape["note_rate"].to_numpy(dtype=float).copy()
    note[p] = np.where(np.isnan(rate), note[p], np.round(rate / 100.0, 10))
    tape["note_rate"] = note

    dq = latest["dq"].to_numpy()
    labels = np.array(["current", "dpd30", "dpd60", "dpd90", "dpd120plus"], dtype=object)
    status = np.full(n, None, dtype=object)
    status[p] = np.where(dq == DQ_REO, "reo", labels[np.clip(dq, 0, 4)])
    status[p[dq == DQ_UNKNOWN]] = None
    tape["delinquency_status"] = status

    modified = latest["mod"].isin(["Y", "P"]).to_numpy()
    term = tape["original_term"].to_numpy(dtype=float).copy()
    age, rem = latest["age"].to_numpy(), latest["rem"].to_numpy()
    ok = modified & ~np.isnan(age) & ~np.isnan(rem)
    term[p[ok]] = age[ok] + rem[ok]
    tape["original_term"] = term
    # A modification may capitalise arrears: the modified UPB then exceeds the original.
    b0 = tape["original_balance"].to_numpy(dtype=float).copy()
    b0[p[modified]] = np.fmax(b0[p[modified]], latest["upb"].to_numpy()[modified])
    tape["original_balance"] = b0

    upb = tape["current_balance"].to_numpy(dtype=float).copy()
    masked = (
        has & ~terminated & (upb == 0) & ~tape["amortization_type"].eq("interest_only").to_numpy()
    )
    if masked.any():
        est = _scheduled(
            tape["original_balance"].to_numpy(dtype=float),
            tape["note_rate"].to_numpy(dtype=float),
            term,
            tape["loan_age"].to_numpy(dtype=float),
        )
        upb[masked] = est[masked]
        tape["current_balance"] = upb
    keep = (has & ~terminated) | ~seen
    return keep, perf_line
