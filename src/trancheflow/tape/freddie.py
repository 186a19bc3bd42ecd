"""Freddie Mac Single-Family Loan-Level Dataset: read it as a tape, write tapes in its layout.

The dataset comes as two headerless, pipe-delimited text files per vintage: an
**origination** file (one line per loan, 32 fields) and a monthly
**performance** file (one line per loan per month, 32 fields). The field order
below follows the file layout in Freddie Mac, *Single-Family Loan-Level Dataset
General User Guide*, section "File Layout & Data Dictionary" (Origination Data
File, p. 7 ff.; Monthly Performance Data File, p. 12 ff., in the 2018-2020
editions; later editions append fields at the end and keep these positions).

Mapping to the tape schema
--------------------------
* ``loan_id`` <- Loan Sequence Number; ``fico`` <- Credit Score (9999 = not
  available -> missing); ``ltv``/``cltv``/``dti`` <- Original LTV / CLTV /
  DTI in percent (999 = not available -> missing), divided by 100;
  ``note_rate`` <- Current Interest Rate of the selected performance record
  (Original Interest Rate without one), percent / 100; ``original_balance``
  <- Original UPB; ``original_term`` <- Original Loan Term;
  ``first_payment_date`` <- First Payment Date (YYYYMM, first of month).
* Occupancy ``P``/``S``/``I`` -> owner / second_home / investor; Loan Purpose
  ``P``/``C``/``N`` -> purchase / cash_out_refi / rate_term_refi (``R``,
  refinance not specified, and ``9`` -> missing); Property Type ``SF``/``CO``/
  ``PU``/``MH``/``CP`` -> single_family / condo / pud / manufactured / coop
  (``99`` -> missing), overridden by ``two_to_four_unit`` when Number of Units
  is 2-4; ``9``/``99`` codes mean "not available" and become missing.
* Amortization Type must be ``FRM`` (the schema holds fixed-rate loans);
  Interest Only Indicator ``Y`` -> ``interest_only`` with ``io_term`` months
  (the files carry no IO period; the caller states it, 120 by default).
* From the **latest performance record on or before** ``as_of`` (the latest
  record when ``as_of`` is None): ``current_balance`` <- Current Actual UPB,
  ``loan_age`` <- Loan Age, ``remaining_term`` <- Remaining Months to Legal
  Maturity, ``delinquency_status`` <- Current Loan Delinquency Status (``0``
  current, ``1``/``2``/``3`` -> dpd30/60/90, ``4`` and up -> dpd120plus,
  ``RA``/``R`` -> reo, ``XX`` -> missing). A modified loan (Modification Flag
  ``Y`` or ``P``) gets ``original_term = loan_age + remaining_term``, its
  modified term. A Current Actual UPB of 0 on a record without a Zero Balance
  Code is read as not disclosed (the public files mask the balance early in a
  loan's life) and replaced by the scheduled level-pay balance.
* Loans whose selected record carries a Zero Balance Code (paid off,
  liquidated, repurchased) are no longer outstanding and are left out of the
  tape; so are loans whose first record falls after ``as_of``. A loan with no
  performance record at all, or a record for a loan not in the origination
  file, is a problem. Without a performance file the tape is as of
  origination (age 0, full balance and term).
* The files carry no servicing fee: ``servicing_fee`` is the caller's figure.

Problems name the file and its 1-based line number (the files have no header,
so line = data row). Layout problems (field count, unknown codes, unreadable
periods) use Freddie's field names; rule checks on mapped values use the tape
schema names and the mapped value.

Examples
--------
>>> import tempfile, pathlib
>>> from trancheflow.tape.generate import generate_tape
>>> tape = generate_tape(20, seed=4, freddie_compatible=True)
>>> with tempfile.TemporaryDirectory() as d:
...     o, p = pathlib.Path(d) / "orig.txt", pathlib.Path(d) / "svcg.txt"
...     write_freddie(tape, o, p)
...     back = read_freddie(o, p, servicing_fee=0.0025)
>>> back["current_balance"].tolist() == tape["current_balance"].tolist()
True
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from trancheflow.errors import Problem, TapeError, TapeValidationError

from .io import atomic_path
from .validate import validate_tape

__all__ = ["ORIGINATION_FIELDS", "PERFORMANCE_FIELDS", "read_freddie", "write_freddie"]

# fmt: off
ORIGINATION_FIELDS: tuple[str, ...] = (
    "credit_score", "first_payment_date", "first_time_homebuyer_flag", "maturity_date",
    "msa", "mi_percent", "number_of_units", "occupancy_status", "original_cltv",
    "original_dti", "original_upb", "original_ltv", "original_interest_rate", "channel",
    "ppm_flag", "amortization_type", "property_state", "property_type", "postal_code",
    "loan_sequence_number", "loan_purpose", "original_loan_term", "number_of_borrowers",
    "seller_name", "servicer_name", "super_conforming_flag",
    "pre_relief_refinance_loan_sequence_number", "program_indicator",
    "relief_refinance_indicator", "property_valuation_method", "interest_only_indicator",
    "mi_cancellation_indicator",
)
PERFORMANCE_FIELDS: tuple[str, ...] = (
    "loan_sequence_number", "monthly_reporting_period", "current_actual_upb",
    "current_loan_delinquency_status", "loan_age", "remaining_months_to_legal_maturity",
    "defect_settlement_date", "modification_flag", "zero_balance_code",
    "zero_balance_effective_date", "current_interest_rate", "current_non_interest_bearing_upb",
    "due_date_of_last_paid_installment", "mi_recoveries", "net_sale_proceeds",
    "non_mi_recoveries", "total_expenses", "legal_costs", "maintenance_and_preservation_costs",
    "taxes_and_insurance", "miscellaneous_expenses", "actual_loss_calculation",
    "cumulative_modification_cost", "step_modification_flag", "payment_deferral",
    "estimated_ltv", "zero_balance_removal_upb", "delinquent_accrued_interest",
    "delinquency_due_to_disaster", "borrower_assistance_status_code",
    "current_month_modification_cost", "interest_bearing_upb",
)
# fmt: on
_MIN_ORIG_FIELDS = ORIGINATION_FIELDS.index("original_loan_term") + 1
_MIN_PERF_FIELDS = PERFORMANCE_FIELDS.index("current_interest_rate") + 1

_OCCUPANCY = {"P": "owner", "S": "second_home", "I": "investor", "9": None}
_PURPOSE = {"P": "purchase", "C": "cash_out_refi", "N": "rate_term_refi", "R": None, "9": None}
_PROPERTY = {
    "SF": "single_family", "CO": "condo", "PU": "pud", "MH": "manufactured", "CP": "coop",
    "99": None,
}  # fmt: skip
_INV = {
    "occupancy": {v: k for k, v in _OCCUPANCY.items() if v},
    "purpose": {v: k for k, v in _PURPOSE.items() if v},
    "property_type": {**{v: k for k, v in _PROPERTY.items() if v}, "two_to_four_unit": "SF"},
}
_DQ_OUT = {"current": "0", "dpd30": "1", "dpd60": "2", "dpd90": "3", "dpd120plus": "4", "reo": "RA"}
_PERF_FIELDS_OF_TAPE = {
    "current_balance", "loan_age", "remaining_term", "delinquency_status", "note_rate",
}  # fmt: skip


def _yyyymm(value: date | str | int | None) -> int | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value.year * 100 + value.month
    text = str(value).strip()
    if not re.fullmatch(r"\d{6}", text) or not 1 <= int(text[4:]) <= 12:
        raise TapeError(f"as_of {value!r} is not a date or a YYYYMM period")
    return int(text)


def _read_pipe(path: Path, n_fields: int, min_fields: int, names: Sequence[str]) -> pd.DataFrame:
    """Read a headerless pipe file as text; row i is line i + 1."""
    if not path.is_file():
        raise TapeError(f"{path}: no such Freddie Mac file")
    try:
        raw = pd.read_csv(
            path,
            sep="|",
            header=None,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            skip_blank_lines=False,
            quoting=csv.QUOTE_NONE,
            engine="c",
        )
    except pd.errors.EmptyDataError:
        raise TapeValidationError([Problem(str(path), None, None, None, "file is empty")]) from None
    except pd.errors.ParserError as exc:
        m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
        if m is None:
            raise TapeError(f"{path}: cannot read as pipe-delimited text: {exc}") from exc
        raise TapeValidationError(
            [
                Problem(
                    str(path),
                    int(m[2]),
                    None,
                    None,
                    f"has {m[3]} fields; earlier lines have {m[1]}",
                )
            ]
        ) from None
    if raw.shape[1] < min_fields or raw.shape[1] > n_fields:
        raise TapeValidationError(
            [
                Problem(
                    str(path),
                    1,
                    None,
                    None,
                    f"has {raw.shape[1]} fields; the layout has {min_fields} to {n_fields}",
                )
            ]
        )
    for j in range(raw.shape[1], n_fields):
        raw[j] = np.nan
    raw.columns = list(names)
    for name in raw.columns:
        raw[name] = raw[name].str.strip().astype(object).where(raw[name].notna(), None)
    return raw


def _num(s: pd.Series, na_codes: Sequence[str] = ()) -> pd.Series:
    return pd.to_numeric(s.where(~s.isin(na_codes)), errors="coerce")


def _percent(s: pd.Series, na_code: str | None) -> pd.Series:
    """Percent text -> decimal; missing codes -> NaN; unreadable text kept for the validator."""
    s = s.where(s != na_code) if na_code else s
    num = pd.to_numeric(s, errors="coerce")
    return s.astype(object).where(s.isna() | num.isna(), np.round(num / 100.0, 12))


def _code(
    s: pd.Series,
    mapping: dict[str, str | None],
    file: str,
    lines: np.ndarray,
    field: str,
    problems: list[Problem],
) -> pd.Series:
    bad = s.notna() & ~s.isin(list(mapping))
    for i in np.flatnonzero(bad.to_numpy()):
        problems.append(
            Problem(
                file,
                int(lines[i]),
                field,
                s.iloc[i],
                "must be one of " + ", ".join(mapping) + f" (Freddie {field} code)",
            )
        )
    return s.map(lambda v: mapping.get(v) if isinstance(v, str) else None)


def _scheduled(b0: np.ndarray, rate: np.ndarray, n: np.ndarray, k: np.ndarray) -> np.ndarray:
    r = rate / 12.0
    with np.errstate(invalid="ignore", divide="ignore"):
        g_n, g_k = (1 + r) ** n, (1 + r) ** k
        bal = np.where(r > 0, b0 * (g_n - g_k) / (g_n - 1), b0 * (1 - k / n))
    return np.round(bal, 2)


def read_freddie(
    origination_path: str | os.PathLike[str],
    performance_path: str | os.PathLike[str] | None = None,
    *,
    as_of: date | str | None = None,
    servicing_fee: float = 0.0025,
    io_term: int = 120,
    max_problems: int = 100,
) -> pd.DataFrame:
    """Read Freddie Mac origination (+ performance) files as a validated tape.

    Parameters
    ----------
    origination_path : path-like
        The origination data file (``sample_orig_YYYY.txt`` style).
    performance_path : path-like, optional
        The monthly performance file (``sample_svcg_YYYY.txt`` style).
    as_of : datetime.date or str, optional
        Tape date (a date or ``"YYYYMM"``); each loan's latest record on or
        before it is used. None: each loan's latest record.
    servicing_fee : float
        Annual servicing + guarantee strip (decimal) applied to every loan.
    io_term : int
        IO period in months for loans with Interest Only Indicator ``Y``.
    max_problems : int
        Cap on the problems collected.

    Returns
    -------
    pandas.DataFrame
        The normalised tape of loans outstanding at ``as_of``, in origination
        file order.

    Raises
    ------
    TapeValidationError
        Every problem found (file, line, field, value, rule), up to the cap.
    TapeError
        A file is missing or not pipe-delimited text.
    """
    orig_path = Path(origination_path)
    ofile = str(orig_path)
    period_cap = _yyyymm(as_of)
    o = _read_pipe(orig_path, len(ORIGINATION_FIELDS), _MIN_ORIG_FIELDS, ORIGINATION_FIELDS)
    problems: list[Problem] = []
    olines = np.arange(1, len(o) + 1)
    for i in np.flatnonzero(o.isna().all(axis=1).to_numpy()):
        problems.append(Problem(ofile, int(olines[i]), None, None, "blank line"))

    tape = pd.DataFrame({"loan_id": o["loan_sequence_number"]})
    tape["original_balance"] = o["original_upb"]
    tape["note_rate"] = _percent(o["original_interest_rate"], None)
    tape["servicing_fee"] = servicing_fee
    tape["original_term"] = o["original_loan_term"]
    fpd = o["first_payment_date"]
    fpd_ok = fpd.str.fullmatch(r"\d{4}(0[1-9]|1[0-2])").fillna(False).astype(bool)
    for i in np.flatnonzero((fpd.notna() & ~fpd_ok).to_numpy()):
        problems.append(
            Problem(ofile, int(olines[i]), "first_payment_date", fpd.iloc[i], "must be YYYYMM")
        )
    tape["first_payment_date"] = pd.to_datetime(fpd.where(fpd_ok), format="%Y%m")
    tape["ltv"] = _percent(o["original_ltv"], "999")
    tape["cltv"] = _percent(o["original_cltv"], "999")
    tape["dti"] = _percent(o["original_dti"], "999")
    fico = o["credit_score"]
    tape["fico"] = fico.where(fico != "9999")
    tape["occupancy"] = _code(
        o["occupancy_status"], _OCCUPANCY, ofile, olines, "occupancy_status", problems
    )
    tape["purpose"] = _code(o["loan_purpose"], _PURPOSE, ofile, olines, "loan_purpose", problems)
    ptype = _code(o["property_type"], _PROPERTY, ofile, olines, "property_type", problems)
    units = _num(o["number_of_units"], ("99",))
    tape["property_type"] = ptype.where(~(units >= 2), "two_to_four_unit")
    tape["state"] = o["property_state"]
    amort = o["amortization_type"]
    for i in np.flatnonzero((amort.notna() & (amort != "FRM")).to_numpy()):
        problems.append(
            Problem(
                ofile,
                int(olines[i]),
                "amortization_type",
                amort.iloc[i],
                "must be FRM (the tape schema holds fixed-rate loans)",
            )
        )
    io_flag = _code(
        o["interest_only_indicator"],
        {"Y": "Y", "N": "N"},
        ofile,
        olines,
        "interest_only_indicator",
        problems,
    )
    is_io = (io_flag == "Y").to_numpy()
    tape["amortization_type"] = np.where(is_io, "interest_only", "level_pay")
    tape["io_term"] = np.where(is_io, io_term, 0)
    tape["current_balance"] = o["original_upb"]
    tape["loan_age"] = "0"
    tape["remaining_term"] = o["original_loan_term"]
    tape["delinquency_status"] = None
    perf_line = np.zeros(len(o), dtype=np.int64)
    keep = np.ones(len(o), dtype=bool)
    pfile = ""
    if performance_path is not None:
        pfile = str(performance_path)
        keep, perf_line = _apply_performance(
            Path(performance_path), tape, o, olines, ofile, period_cap, problems
        )

    def locate(i: int, field: str | None) -> tuple[str, int]:
        j = int(rows[i])
        if field in _PERF_FIELDS_OF_TAPE and perf_line[j] > 0:
            return pfile, int(perf_line[j])
        return ofile, int(olines[j])

    rows = np.flatnonzero(keep)
    sub = tape.iloc[rows].reset_index(drop=True)
    try:
        result = validate_tape(sub, source=ofile, max_problems=max_problems, locate=locate)
    except TapeValidationError as exc:
        problems.extend(exc.problems)
        truncated = exc.truncated
    else:
        if not problems:
            return result
        truncated = False
    if len(sub) == 0 and not problems:
        problems.append(Problem(ofile, None, None, None, "no loan is outstanding as of the date"))
    problems.sort(key=lambda p: (p.row is not None, p.file, p.row or 0))
    raise TapeValidationError(problems[:max_problems], truncated or len(problems) > max_problems)


def _apply_performance(
    path: Path,
    tape: pd.DataFrame,
    o: pd.DataFrame,
    olines: np.ndarray,
    ofile: str,
    period_cap: int | None,
    problems: list[Problem],
) -> tuple[np.ndarray, np.ndarray]:
    """Fill performance-derived columns in place; return (rows kept, perf line per row)."""
    pfile = str(path)
    p = _read_pipe(path, len(PERFORMANCE_FIELDS), _MIN_PERF_FIELDS, PERFORMANCE_FIELDS)
    p["line"] = np.arange(1, len(p) + 1)
    period = p["monthly_reporting_period"]
    ok = period.str.fullmatch(r"\d{4}(0[1-9]|1[0-2])").fillna(False).astype(bool)
    for i in np.flatnonzero(~ok.to_numpy()):
        problems.append(
            Problem(
                pfile,
                int(p["line"].iloc[i]),
                "monthly_reporting_period",
                period.iloc[i],
                "must be a period YYYYMM",
            )
        )
    p = p[ok.to_numpy()].copy()
    p["period"] = p["monthly_reporting_period"].astype(int)

    known = set(o["loan_sequence_number"].dropna())
    stray = p[~p["loan_sequence_number"].isin(known)].drop_duplicates("loan_sequence_number")
    for _, r in stray.iterrows():
        problems.append(
            Problem(
                pfile,
                int(r["line"]),
                "loan_sequence_number",
                r["loan_sequence_number"],
                f"has no record in {ofile}",
            )
        )
    dup = p.duplicated(["loan_sequence_number", "period"], keep="first")
    for _, r in p[dup].iterrows():
        problems.append(
            Problem(
                pfile,
                int(r["line"]),
                "monthly_reporting_period",
                r["period"],
                "repeats an earlier record of this loan",
            )
        )

    has_any = o["loan_sequence_number"].isin(set(p["loan_sequence_number"])).to_numpy()
    for i in np.flatnonzero(~has_any & o["loan_sequence_number"].notna().to_numpy()):
        problems.append(
            Problem(
                ofile,
                int(olines[i]),
                "loan_sequence_number",
                o["loan_sequence_number"].iloc[i],
                f"has no record in {pfile}",
            )
        )
    if period_cap is not None:
        p = p[p["period"] <= period_cap]
    last = p.sort_values(["loan_sequence_number", "period", "line"]).drop_duplicates(
        "loan_sequence_number", keep="last"
    )
    # Duplicated loan ids in the origination file are the validator's to report;
    # performance records attach to the first occurrence.
    first_idx = pd.Series(np.arange(len(o)), index=o["loan_sequence_number"])
    first_idx = first_idx[~first_idx.index.duplicated()]
    pos = first_idx.reindex(last["loan_sequence_number"]).to_numpy()
    found = ~np.isnan(pos.astype(float))
    last, pos = last[found], pos[found].astype(np.int64)

    n = len(o)
    sel = np.full(n, -1, dtype=np.int64)
    sel[pos] = np.arange(len(last))
    has = sel >= 0
    perf_line = np.zeros(n, dtype=np.int64)
    perf_line[has] = last["line"].to_numpy()[sel[has]]

    def take(field: str) -> pd.Series:
        col = last[field].to_numpy(dtype=object)
        return pd.Series(np.where(has, col[np.maximum(sel, 0)], None), dtype=object)

    zbc = take("zero_balance_code")
    terminated = zbc.notna().to_numpy()
    dup_orig = o["loan_sequence_number"].duplicated().to_numpy()
    # A loan with no record on or before as_of has not started reporting: left out.
    keep = (has & ~terminated) | ~has_any | dup_orig

    upb = take("current_actual_upb")
    age = take("loan_age")
    rem = take("remaining_months_to_legal_maturity")
    rate = _percent(take("current_interest_rate"), None)
    tape.loc[has, "current_balance"] = upb[has].to_numpy()
    tape.loc[has, "loan_age"] = age[has].to_numpy()
    tape.loc[has, "remaining_term"] = rem[has].to_numpy()
    tape.loc[has & rate.notna().to_numpy(), "note_rate"] = rate[has & rate.notna().to_numpy()]

    dq_text = take("current_loan_delinquency_status")
    text = dq_text.astype(object)
    digits = text.str.fullmatch(r"\d+").fillna(False).to_numpy(dtype=bool)
    months = pd.to_numeric(text.where(digits), errors="coerce").to_numpy(dtype=float)
    reo = text.isin(["RA", "R"]).to_numpy()
    unknown = text.isna().to_numpy() | (text == "XX").to_numpy()
    for i in np.flatnonzero(has & ~digits & ~reo & ~unknown):
        problems.append(
            Problem(
                pfile,
                int(perf_line[i]),
                "current_loan_delinquency_status",
                text.iloc[i],
                "must be 0-999, RA or XX",
            )
        )
    buckets = np.array(["current", "dpd30", "dpd60", "dpd90", "dpd120plus"], dtype=object)
    bucket = buckets[np.clip(np.nan_to_num(months, nan=0.0), 0, 4).astype(np.int64)]
    labels = np.full(n, None, dtype=object)
    labels[reo] = "reo"
    labels[digits] = bucket[digits]
    tape["delinquency_status"] = labels

    modified = take("modification_flag").isin(["Y", "P"]).to_numpy()
    age_n = pd.to_numeric(age, errors="coerce").to_numpy(dtype=float)
    rem_n = pd.to_numeric(rem, errors="coerce").to_numpy(dtype=float)
    both = modified & ~np.isnan(age_n) & ~np.isnan(rem_n)
    tape.loc[both, "original_term"] = (age_n[both] + rem_n[both]).astype(np.int64).astype(str)

    # Masked balance: 0 without a zero-balance code -> scheduled balance.
    upb_n = pd.to_numeric(upb, errors="coerce").to_numpy(dtype=float)
    masked = (
        has & ~terminated & (upb_n == 0) & ~tape["amortization_type"].eq("interest_only").to_numpy()
    )
    if masked.any():
        b0 = pd.to_numeric(tape["original_balance"], errors="coerce").to_numpy(dtype=float)
        rate_n = pd.to_numeric(tape["note_rate"], errors="coerce").to_numpy(dtype=float)
        term = pd.to_numeric(tape["original_term"], errors="coerce").to_numpy(dtype=float)
        est = _scheduled(b0, rate_n, term, age_n)
        tape.loc[masked, "current_balance"] = est[masked]
    return keep, perf_line


def _pct(x: pd.Series, na_code: str) -> pd.Series:
    values = np.round(x.to_numpy(dtype=float) * 100, 10)
    text = pd.Series(values).astype(str).str.removesuffix(".0")
    return text.where(~np.isnan(values), na_code)


def _months(ts: pd.Series) -> np.ndarray:
    return (ts.dt.year * 12 + ts.dt.month - 1).to_numpy(dtype=np.int64)


def _period_text(m: np.ndarray) -> np.ndarray:
    return np.char.add((m // 12).astype(str), np.char.zfill((m % 12 + 1).astype(str), 2))


def write_freddie(
    df: pd.DataFrame,
    origination_path: str | os.PathLike[str],
    performance_path: str | os.PathLike[str],
    *,
    as_of: date | None = None,
    io_term: int = 120,
) -> None:
    """Write a tape as a Freddie Mac origination file and a one-month performance file.

    Each loan gets one origination line and one performance record for the
    month ``first_payment_date + loan_age`` (or ``as_of`` for loans without a
    first payment date). Fields the tape does not hold are written as
    Freddie's "not available" codes (``9``/``99``/``999``) or left empty.
    Unlike the public files, balances are not rounded to $1,000 and LTV/DTI
    keep their decimals, so :func:`read_freddie` gives the tape back
    (except ``servicing_fee``, which the layout does not carry).

    Parameters
    ----------
    df : pandas.DataFrame
        A tape that passes :func:`~trancheflow.tape.validate.validate_tape`.
    origination_path, performance_path : path-like
        Targets, each written atomically.
    as_of : datetime.date, optional
        Reporting month for loans without ``first_payment_date``.
    io_term : int
        The IO period every interest-only loan must have (the layout only
        flags IO loans; the reader restores this figure).

    Raises
    ------
    TapeError
        The tape holds loans the layout cannot carry: balloon loans,
        ``foreclosure`` status (Freddie reports months delinquent instead),
        interest-only loans with another IO period, or a loan without either
        a first payment date or ``as_of``.
    TapeValidationError
        The tape itself is invalid.
    """
    tape = validate_tape(df, source="<tape to write>")
    unfit = {
        "balloon loans": tape["amortization_type"] == "balloon",
        "foreclosure status": tape.get("delinquency_status", pd.Series(dtype=object))
        .reindex(tape.index)
        .eq("foreclosure"),
        f"interest-only loans without a {io_term}-month IO period": (
            tape["amortization_type"].eq("interest_only") & tape["io_term"].ne(io_term)
        ),
        "'|' in loan_id": tape["loan_id"].str.contains("|", regex=False),
    }
    for what, mask in unfit.items():
        if mask.any():
            ids = tape.loc[mask, "loan_id"].head(5).tolist()
            raise TapeError(
                f"the Freddie Mac layout cannot carry {what}: {int(mask.sum())} loan(s), "
                f"e.g. {', '.join(map(str, ids))}"
            )
    n = len(tape)
    age = tape["loan_age"].to_numpy(dtype=np.int64)
    if "first_payment_date" in tape and tape["first_payment_date"].notna().all():
        fpd_m = _months(tape["first_payment_date"])
    elif as_of is not None:
        fpd_m = (as_of.year * 12 + as_of.month - 1) - age
        if "first_payment_date" in tape:
            given = tape["first_payment_date"].notna().to_numpy()
            fpd_m[given] = _months(tape["first_payment_date"])[given]
    else:
        raise TapeError("write_freddie needs first_payment_date on every loan, or as_of")
    term = tape["original_term"].to_numpy(dtype=np.int64)

    def col(name: str) -> pd.Series:
        return tape[name] if name in tape else pd.Series([None] * n, dtype=object)

    def code(name: str, na: str) -> pd.Series:
        return col(name).map(lambda v: _INV[name].get(v, na) if isinstance(v, str) else na)

    fico = col("fico").map(lambda v: "9999" if pd.isna(v) else str(int(v)))
    units = col("property_type").map(
        lambda v: "99" if not isinstance(v, str) else ("2" if v == "two_to_four_unit" else "1")
    )
    blank = pd.Series([""] * n)
    orig: dict[str, object] = {
        "credit_score": fico,
        "first_payment_date": _period_text(fpd_m),
        "first_time_homebuyer_flag": "9",
        "maturity_date": _period_text(fpd_m + term - 1),
        "msa": blank,
        "mi_percent": "999",
        "number_of_units": units,
        "occupancy_status": code("occupancy", "9"),
        "original_cltv": _pct(col("cltv"), "999"),
        "original_dti": _pct(col("dti"), "999"),
        "original_upb": tape["original_balance"].map(lambda v: f"{v:.2f}"),
        "original_ltv": _pct(col("ltv"), "999"),
        "original_interest_rate": _pct(tape["note_rate"], ""),
        "channel": "9",
        "ppm_flag": "N",
        "amortization_type": "FRM",
        "property_state": col("state").fillna(""),
        "property_type": code("property_type", "99"),
        "postal_code": blank,
        "loan_sequence_number": tape["loan_id"],
        "loan_purpose": code("purpose", "9"),
        "original_loan_term": term.astype(str),
        "number_of_borrowers": "99",
        "seller_name": "SYNTHETIC",
        "servicer_name": "SYNTHETIC",
        "super_conforming_flag": blank,
        "pre_relief_refinance_loan_sequence_number": blank,
        "program_indicator": "9",
        "relief_refinance_indicator": "N",
        "property_valuation_method": "9",
        "interest_only_indicator": np.where(
            tape["amortization_type"].eq("interest_only"), "Y", "N"
        ),
        "mi_cancellation_indicator": "9",
    }
    dq = col("delinquency_status").map(
        lambda v: _DQ_OUT.get(v, "XX") if isinstance(v, str) else "XX"
    )
    upb = tape["current_balance"].map(lambda v: f"{v:.2f}")
    perf: dict[str, object] = dict.fromkeys(PERFORMANCE_FIELDS, blank)
    perf.update(
        {
            "loan_sequence_number": tape["loan_id"],
            "monthly_reporting_period": _period_text(fpd_m + age),
            "current_actual_upb": upb,
            "current_loan_delinquency_status": dq,
            "loan_age": age.astype(str),
            "remaining_months_to_legal_maturity": tape["remaining_term"].astype(str),
            "current_interest_rate": _pct(tape["note_rate"], ""),
            "current_non_interest_bearing_upb": "0",
            "interest_bearing_upb": upb,
        }
    )
    for path, fields, values in (
        (origination_path, ORIGINATION_FIELDS, orig),
        (performance_path, PERFORMANCE_FIELDS, perf),
    ):
        frame = pd.DataFrame({f: values[f] for f in fields}, index=range(n))
        with atomic_path(path) as tmp:
            frame.to_csv(
                tmp, sep="|", header=False, index=False, quoting=csv.QUOTE_NONE, lineterminator="\n"
            )
