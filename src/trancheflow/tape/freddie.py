"""Read Freddie Mac Single-Family Loan-Level Dataset files as a loan tape.

The layout (field order, kinds, codes, sentinels, per release) lives in
:mod:`trancheflow.tape.freddie_layout`, which cites the user guide; the
streaming and per-field reading in :mod:`trancheflow.tape.freddie_scan`. The
published files are read as they are: 31 or 32 origination fields (any
release from the first 22 fields on), performance files of any release width,
fields blank for a whole file, the ``9``/``99``/``999``/``9999`` sentinels,
seller and servicer names with spaces and punctuation.

Mapping to the tape schema
--------------------------
* ``loan_id`` <- Loan Sequence Number; ``fico`` <- Credit Score;
  ``ltv``/``cltv``/``dti`` <- Original LTV / CLTV / DTI (percent / 100);
  ``note_rate`` <- Current Interest Rate of the selected performance record
  (Original Interest Rate without one), percent / 100; ``original_balance``
  <- Original UPB; ``original_term`` <- Original Loan Term;
  ``first_payment_date`` <- First Payment Date (first of the month).
  Sentinels (9999 credit score, 999 ratios, 9/99 codes) become missing.
* Occupancy ``P``/``S``/``I``, Loan Purpose ``P``/``C``/``N`` (``R``,
  refinance not specified -> missing), Property Type ``SF``/``CO``/``PU``/
  ``MH``/``CP`` (``two_to_four_unit`` when Number of Units is 2-4) map to the
  schema's words. Amortization Type must be ``FRM``; Interest Only Indicator
  ``Y`` -> ``interest_only`` with ``io_term`` months (the files carry no IO
  period; the caller states it, 120 by default).
* With a performance file, each loan's **latest record on or before**
  ``as_of`` (the latest record when ``as_of`` is None) gives
  ``current_balance``, ``loan_age``, ``remaining_term`` and
  ``delinquency_status`` (``0`` current, ``1``/``2``/``3`` -> dpd30/60/90,
  ``4`` and up -> dpd120plus, ``RA`` (REO acquisition; ``R`` in old
  releases) -> reo, ``XX``/blank -> missing). A modified loan (Modification
  Flag ``Y``/``P``) gets ``original_term = loan_age + remaining_term`` and,
  when the modification capitalised arrears above the original UPB,
  ``original_balance`` = its current UPB. A
  Current Actual UPB of 0 without a Zero Balance Code is the public files'
  masking of the first months and is replaced by the scheduled balance.
  Loans whose record carries a Zero Balance Code are no longer outstanding
  and are left out, as are loans whose first record falls after ``as_of``.
* **Without a performance file** the tape is as of ``as_of`` assuming every
  loan paid on schedule (no prepayment, no delinquency): ``loan_age`` =
  months from the first payment date to ``as_of``, the scheduled balance,
  loans matured by then left out. Loan age follows the files' convention:
  1 in the first payment month (0 the month before). Without ``as_of`` too, the tape is as of
  origination (age 0, full balance); the CLI asks for ``--as-of`` instead.
* The files carry no servicing fee: ``servicing_fee`` is the caller's figure.

Problems name the file and its 1-based line number (the files have no
header). Layout problems use the guide's field names; rule checks on mapped
values use the tape schema's names.

Examples
--------
>>> import tempfile, pathlib
>>> line = ("751|201903|N|204902|16974|000|1|P|80|33|180000|80|4.625|R|N|FRM|IL|SF|60400|"
...         "F19Q10000001|P|360|02|Other sellers|Other servicers|||9||9|N")
>>> with tempfile.TemporaryDirectory() as d:
...     o = pathlib.Path(d) / "sample_orig_2019.txt"
...     _ = o.write_text(line + "\\n")
...     tape = read_freddie(o, as_of="201912")
>>> print(*tape.loc[0, ["loan_id", "fico", "ltv", "loan_age", "remaining_term"]])
F19Q10000001 751.0 0.8 10 350
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import date

import numpy as np
import pandas as pd

from trancheflow.errors import Problem, TapeError, TapeValidationError

from .freddie_layout import (
    CHANNEL,
    OCCUPANCY,
    ORIGINATION,
    ORIGINATION_MIN_WIDTH,
    PERFORMANCE,
    PROPERTY_TYPE,
    PURPOSE,
)
from .freddie_scan import (
    DEFAULT_CHUNK_ROWS,
    ProblemLog,
    check_fields,
    codes,
    numbers,
    periods,
    scan,
)
from .validate import validate_tape

__all__ = [
    "ORIGINATION_FIELDS",
    "PERFORMANCE_FIELDS",
    "months_to_dates",
    "origination_records",
    "parse_period",
    "read_freddie",
]

ORIGINATION_FIELDS: tuple[str, ...] = tuple(f.name for f in ORIGINATION)
PERFORMANCE_FIELDS: tuple[str, ...] = tuple(f.name for f in PERFORMANCE)
_O = {f.name: f for f in ORIGINATION}
_P = {f.name: f for f in PERFORMANCE}
_O_READ = frozenset(
    {"credit_score", "original_ltv", "original_cltv", "original_dti", "original_upb",
     "original_interest_rate", "original_loan_term", "number_of_units", "first_payment_date",
     "maturity_date", "occupancy_status", "loan_purpose", "channel", "property_type",
     "amortization_type", "interest_only_indicator"}
)  # fmt: skip
_PERF_TAPE_FIELDS = frozenset(
    {"current_balance", "loan_age", "remaining_term", "delinquency_status", "note_rate"}
)


def parse_period(value: date | str | int | None) -> int | None:
    """``as_of`` as months since year 0; accepts a date, ``YYYYMM``, ``YYYY-MM``, ``YYYY-MM-DD``.

    Examples
    --------
    >>> parse_period("2020-06") == parse_period("202006") == parse_period(date(2020, 6, 30))
    True
    """
    if value is None:
        return None
    if isinstance(value, date):
        return value.year * 12 + value.month - 1
    text = str(value).strip()
    m = re.fullmatch(r"(\d{4})-?(\d{2})(-\d{2})?", text)
    if m is None or not 1 <= int(m[2]) <= 12:
        raise TapeError(f"as_of {value!r} is not a date, YYYYMM or YYYY-MM")
    return int(m[1]) * 12 + int(m[2]) - 1


def months_to_dates(m: np.ndarray) -> pd.Series:
    """Months since year 0 (-1 = missing) -> month-start timestamps (NaT when missing)."""
    m = np.asarray(m, dtype=np.int64)
    months = (m - 1970 * 12).astype("datetime64[M]")  # numpy's month epoch is 1970-01
    months[m < 0] = np.datetime64("NaT")
    return pd.Series(months.astype("datetime64[ns]"))


def _mapped(code: pd.Series, mapping: dict[str, str]) -> pd.Series:
    return code.map(lambda v: mapping.get(v) if isinstance(v, str) else None).astype(object)


def origination_records(
    path: str | os.PathLike[str],
    log: ProblemLog,
    *,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    progress: bool = False,
) -> Iterator[pd.DataFrame]:
    """Stream an origination file as typed loan records (the panel's covariates).

    Yields frames with ``loan_id``, ``fico``, ``ltv``, ``cltv``, ``dti`` (as
    written: percent), ``orig_upb``, ``orig_rate`` (percent), ``orig_term``
    (float, NaN when unreadable), ``first_payment`` and ``maturity`` (months
    since year 0, -1 when unreadable), ``state``, ``occupancy``, ``purpose``,
    ``channel``, ``property_type`` (schema words or None), ``amortization``
    and ``io`` (codes), ``line`` (1-based) and ``bad`` (the line has a layout
    problem, already in ``log``).
    """
    file = str(path)
    for chunk in scan(path, ORIGINATION, ORIGINATION_MIN_WIDTH, log, chunk_rows=chunk_rows,
                      progress=progress):  # fmt: skip
        before = len(log.problems)
        loan = chunk.raw["loan_sequence_number"]
        for i in np.flatnonzero((loan == "").to_numpy()):
            log.add(file, int(chunk.lines[i]), "loan_sequence_number", None, "must not be blank")
        rec = pd.DataFrame({"loan_id": pd.Series(loan.to_numpy(dtype=object), dtype=object)})
        rec["fico"] = numbers(chunk, _O["credit_score"], file, log)
        for out, name in (("ltv", "original_ltv"), ("cltv", "original_cltv"),
                          ("dti", "original_dti"), ("orig_upb", "original_upb"),
                          ("orig_rate", "original_interest_rate"),
                          ("orig_term", "original_loan_term"),
                          ("units", "number_of_units")):  # fmt: skip
            rec[out] = numbers(chunk, _O[name], file, log)
        rec["first_payment"] = periods(chunk, _O["first_payment_date"], file, log)
        rec["maturity"] = periods(chunk, _O["maturity_date"], file, log)
        rec["state"] = (
            chunk.raw["property_state"]
            .astype(object)
            .where(chunk.raw["property_state"] != "", None)
        )
        rec["occupancy"] = _mapped(codes(chunk, _O["occupancy_status"], file, log), OCCUPANCY)
        rec["purpose"] = _mapped(codes(chunk, _O["loan_purpose"], file, log), PURPOSE)
        rec["channel"] = _mapped(codes(chunk, _O["channel"], file, log), CHANNEL)
        ptype = _mapped(codes(chunk, _O["property_type"], file, log), PROPERTY_TYPE)
        rec["property_type"] = ptype.where(~(rec["units"] >= 2), "two_to_four_unit")
        rec["amortization"] = codes(chunk, _O["amortization_type"], file, log)
        if "interest_only_indicator" in chunk.raw:
            rec["io"] = codes(chunk, _O["interest_only_indicator"], file, log)
        else:
            rec["io"] = None
        check_fields(chunk, ORIGINATION, file, log, _O_READ)
        rec["line"] = chunk.lines
        bad_lines = [p.row for p in log.problems[before:] if p.file == file and p.row]
        rec["bad"] = np.isin(chunk.lines, bad_lines) | (loan == "").to_numpy()
        yield rec


def _scheduled(b0: np.ndarray, rate: np.ndarray, n: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Level-pay balance after ``k`` payments (rate annual decimal)."""
    r = rate / 12.0
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        g_n, g_k = (1 + r) ** n, (1 + r) ** k
        bal = np.where(r > 0, b0 * (g_n - g_k) / (g_n - 1), b0 * (1 - k / n))
    return np.round(bal, 2)


def _tape_chunk(rec: pd.DataFrame, servicing_fee: float, io_term: int) -> pd.DataFrame:
    tape = pd.DataFrame({"loan_id": rec["loan_id"].to_numpy()})
    tape["original_balance"] = rec["orig_upb"].to_numpy()
    tape["current_balance"] = rec["orig_upb"].to_numpy()
    tape["note_rate"] = np.round(rec["orig_rate"].to_numpy() / 100.0, 10)
    tape["servicing_fee"] = servicing_fee
    tape["original_term"] = rec["orig_term"].to_numpy()
    tape["loan_age"] = 0
    tape["remaining_term"] = rec["orig_term"].to_numpy()
    tape["first_payment_date"] = months_to_dates(rec["first_payment"].to_numpy()).to_numpy()
    for c in ("ltv", "cltv", "dti"):
        tape[c] = np.round(rec[c].to_numpy() / 100.0, 10)
    tape["fico"] = rec["fico"].to_numpy()
    for c in ("occupancy", "purpose", "property_type", "state"):
        tape[c] = rec[c].to_numpy()
    is_io = (rec["io"] == "Y").to_numpy()
    tape["amortization_type"] = np.where(is_io, "interest_only", "level_pay")
    tape["io_term"] = np.where(is_io, io_term, 0)
    tape["delinquency_status"] = None
    return tape


def _age_on_schedule(tape: pd.DataFrame, rec: pd.DataFrame, cap: int) -> np.ndarray:
    """Age loans to ``cap`` on schedule in place; return which are still outstanding."""
    fpd = rec["first_payment"].to_numpy()
    term = rec["orig_term"].to_numpy()
    age = np.where(fpd >= 0, np.maximum(cap - fpd + 1, 0), 0)  # Freddie: 1 in the fpd month
    live = ~(age >= term)
    rate = tape["note_rate"].to_numpy(dtype=float)
    b0 = tape["original_balance"].to_numpy(dtype=float)
    io = tape["amortization_type"].eq("interest_only").to_numpy()
    io_m = tape["io_term"].to_numpy()
    amort_age = np.where(io, np.maximum(age - io_m, 0), age)
    amort_n = np.where(io, term - io_m, term)
    bal = _scheduled(b0, rate, amort_n, amort_age)
    ok = ~np.isnan(bal)
    tape["loan_age"] = age
    tape["remaining_term"] = np.where(ok, term - age, term)
    tape["current_balance"] = np.where(ok, bal, b0)
    return live


def read_freddie(
    origination_path: str | os.PathLike[str],
    performance_path: str | os.PathLike[str] | None = None,
    *,
    as_of: date | str | None = None,
    servicing_fee: float = 0.0025,
    io_term: int = 120,
    max_problems: int = 100,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    progress: bool = False,
) -> pd.DataFrame:
    """Read Freddie Mac origination (+ performance) files as a validated tape.

    Parameters
    ----------
    origination_path : path-like
        The origination file (``sample_orig_YYYY.txt`` / ``historical_data_YYYYQn.txt``).
    performance_path : path-like, optional
        The monthly performance file (``sample_svcg_YYYY.txt`` /
        ``historical_data_time_YYYYQn.txt``).
    as_of : datetime.date or str, optional
        Tape month (a date, ``"YYYYMM"`` or ``"YYYY-MM"``); see the module notes
        for what is assumed without a performance file.
    servicing_fee : float
        Annual servicing + guarantee strip (decimal) applied to every loan.
    io_term : int
        IO period in months for loans with Interest Only Indicator ``Y``.
    max_problems : int
        Cap on the problems collected.
    chunk_rows : int
        Lines read at a time (bounds memory on files of millions of lines).
    progress : bool
        Show a progress bar while reading.

    Returns
    -------
    pandas.DataFrame
        The normalised tape of loans outstanding at ``as_of``, in file order.

    Raises
    ------
    TapeValidationError
        Every problem found (file, line, field, value, rule), up to the cap.
    TapeError
        A file is missing, or ``as_of`` cannot be read.
    """
    cap = parse_period(as_of)
    ofile = str(origination_path)
    log = ProblemLog(max_problems)
    parts: list[pd.DataFrame] = []
    recs: list[pd.DataFrame] = []
    for rec in origination_records(origination_path, log, chunk_rows=chunk_rows,
                                   progress=progress):  # fmt: skip
        arm = (rec["amortization"] == "ARM").to_numpy()
        for i in np.flatnonzero(arm):
            log.add(
                ofile,
                int(rec["line"].iloc[i]),
                "amortization_type",
                "ARM",
                "must be FRM (the tape holds fixed-rate loans)",
            )
        drop = rec["bad"].to_numpy() | arm
        log.skipped_keys.update(rec.loc[drop, "loan_id"])
        rec = rec[~drop]
        recs.append(rec.reset_index(drop=True))
        parts.append(_tape_chunk(recs[-1], servicing_fee, io_term))
    if not parts:
        log.raise_if_any()
        raise TapeValidationError([Problem(ofile, None, None, None, "no loan records")])
    tape = pd.concat(parts, ignore_index=True)
    rec = pd.concat(recs, ignore_index=True)
    del parts, recs
    olines = rec["line"].to_numpy()
    perf_line = np.zeros(len(tape), dtype=np.int64)
    keep = np.ones(len(tape), dtype=bool)
    pfile = ""
    if performance_path is not None:
        from .freddie_perf import apply_performance

        pfile = str(performance_path)
        keep, perf_line = apply_performance(
            performance_path, tape, rec, ofile, cap, log, chunk_rows=chunk_rows, progress=progress
        )
    elif cap is not None:
        keep = _age_on_schedule(tape, rec, cap)

    rows = np.flatnonzero(keep)

    def locate(i: int, field: str | None) -> tuple[str, int]:
        j = int(rows[i])
        if field in _PERF_TAPE_FIELDS and perf_line[j] > 0:
            return pfile, int(perf_line[j])
        return ofile, int(olines[j])

    sub = tape.iloc[rows].reset_index(drop=True)
    if len(sub) == 0 and not log.problems:
        log.add(ofile, None, None, None, "no loan is outstanding as of the date")
    if len(sub):
        try:
            result = validate_tape(sub, source=ofile, max_problems=max_problems, locate=locate)
        except TapeValidationError as exc:
            log.extend(exc.problems, exc.truncated)
        else:
            if not log.problems:
                return result
    log.raise_if_any()
    raise AssertionError("unreachable")  # pragma: no cover
