"""Write a tape in the Freddie Mac Single-Family Loan-Level Dataset layout (32 + 32 fields).

Used to hand tapes to tools that read Freddie's files and by ``tape generate
--format freddie``. The output follows :mod:`trancheflow.tape.freddie_layout`
(the latest release: 32 origination and 32 performance fields); fields a tape
does not hold get the guide's "not available" codes or stay blank.

Examples
--------
>>> import tempfile, pathlib
>>> from trancheflow.tape.freddie import read_freddie
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
from datetime import date

import numpy as np
import pandas as pd

from trancheflow.errors import TapeError

from .freddie import ORIGINATION_FIELDS, PERFORMANCE_FIELDS
from .freddie_layout import OCCUPANCY, PROPERTY_TYPE, PURPOSE
from .io import atomic_path
from .validate import validate_tape

__all__ = ["write_freddie"]

_INV = {
    "occupancy": {v: k for k, v in OCCUPANCY.items()},
    "purpose": {v: k for k, v in PURPOSE.items()},
    "property_type": {**{v: k for k, v in PROPERTY_TYPE.items()}, "two_to_four_unit": "SF"},
}
_DQ_OUT = {"current": "0", "dpd30": "1", "dpd60": "2", "dpd90": "3", "dpd120plus": "4", "reo": "RA"}


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
        "pre_harp_loan_sequence_number": blank,
        "program_indicator": "9",
        "harp_indicator": "N",
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
            "current_deferred_upb": "0",
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
