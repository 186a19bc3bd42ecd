"""Read a remittance file (CSV or Parquet) into exact records, collecting every problem.

Every cell is read as text (CSV) or as the value Parquet holds, and money is
converted with :func:`trancheflow.units.exact_decimal` and scaled exactly: an
amount with more decimal places than the settlement token carries is refused,
never rounded; a negative amount is refused. Problems are collected (up to a
cap) and raised together as one :class:`~trancheflow.errors.RemittanceError`
naming file, row, field and rule, so a servicer fixes the file in one pass.

Examples
--------
>>> import tempfile, pathlib
>>> text = ("loan_id,period,beginning_balance,scheduled_principal,principal_collected,"
...         "curtailment,payoff,interest_collected,liquidation_proceeds,realized_loss,"
...         "ending_balance,delinquency_status\\n"
...         "L1,1,1000.00,10.00,10.00,0,0,5.00,0,0,990.00,current\\n")
>>> with tempfile.TemporaryDirectory() as d:
...     p = pathlib.Path(d) / "r.csv"
...     _ = p.write_text(text)
...     recs = read_remittance(p, decimals=2)
>>> recs[0].ending_balance, recs[0].delinquency_status
(99000, 'current')
"""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd

from trancheflow.errors import Problem, RemittanceError, UnitsError
from trancheflow.units import exact_decimal

from .schema import (
    COLUMNS,
    DAYS_RANGE,
    MODIFICATIONS,
    MONEY,
    REQUIRED,
    STATUSES,
    RemittanceRecord,
    days_in_range,
)

__all__ = ["DEFAULT_CAP", "MAX_DAYS", "Problems", "detect_format", "read_remittance"]

#: Largest ``days_delinquent`` accepted (100 years): beyond it a cell is a typo.
MAX_DAYS = 36_500

#: Problems collected before a file is given up on.
DEFAULT_CAP = 50


class Problems:
    """A capped list of problems that raises them together.

    >>> p = Problems("f.csv", cap=1)
    >>> p.add(1, "x", 5, "is wrong"); p.add(2, "x", 6, "is wrong")
    >>> len(p.items), p.truncated
    (1, True)
    """

    def __init__(self, file: str, cap: int = DEFAULT_CAP) -> None:
        self.file = file
        self.cap = cap
        self.items: list[Problem] = []
        self.truncated = False

    def add(self, row: int | None, field: str | None, value: object, rule: str) -> None:
        """Record one problem (beyond the cap only the fact that there are more)."""
        if len(self.items) >= self.cap:
            self.truncated = True
            return
        self.items.append(Problem(self.file, row, field, value, rule))

    def raise_if_any(self) -> None:
        """Raise :class:`RemittanceError` with everything collected, if anything was."""
        if self.items:
            raise RemittanceError(self.items, self.truncated)


def detect_format(path: str | os.PathLike[str], format: str | None = None) -> str:
    """``csv``, ``parquet`` or ``freddie`` from ``format`` or the file's suffix.

    >>> detect_format("r.parquet"), detect_format("svcg.txt"), detect_format("x", "csv")
    ('parquet', 'freddie', 'csv')
    """
    if format is not None:
        if format not in ("csv", "parquet", "freddie"):
            raise RemittanceError(
                [Problem(str(path), None, None, format, "is not a format: csv, parquet, freddie")]
            )
        return format
    suffix = Path(path).suffix.lower()
    if suffix in (".parquet", ".pq"):
        return "parquet"
    if suffix == ".txt":
        return "freddie"
    return "csv"


def _frame(path: Path, fmt: str) -> pd.DataFrame:
    if not path.is_file():
        raise RemittanceError([Problem(str(path), None, None, None, "no such file")])
    try:
        if fmt == "parquet":
            return pd.read_parquet(path)
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except UnicodeDecodeError:
        rule = "is not UTF-8 text"
    except pd.errors.EmptyDataError:
        rule = "is empty"
    except (pd.errors.ParserError, ValueError, OSError) as exc:
        rule = f"cannot be read as {fmt}: {str(exc).splitlines()[0]}"
    raise RemittanceError([Problem(str(path), None, None, None, rule)])


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, float) and v != v) or (isinstance(v, str) and not v.strip())


def _money(v: Any, decimals: int) -> tuple[int | None, str | None]:
    """Units of ``v`` or the rule it breaks."""
    if _blank(v):
        return None, "is missing (write 0 for none)"
    try:
        d = exact_decimal(v.strip() if isinstance(v, str) else v)
    except UnitsError:
        return None, "must be a number"
    if not d.is_finite():
        return None, "must be a finite number"
    if d < 0:
        return None, "must not be negative"
    scaled = d.scaleb(decimals)
    if scaled != scaled.to_integral_value():
        return None, f"has more than {decimals} decimal places (the settlement token's)"
    return int(scaled), None


def _integer(v: Any) -> int | None:
    if _blank(v) or isinstance(v, bool):
        return None
    try:
        d = Decimal(str(v).strip())
    except ArithmeticError:
        return None
    if not d.is_finite() or d != d.to_integral_value():
        return None
    return int(d)


def read_remittance(
    path: str | os.PathLike[str],
    decimals: int,
    *,
    format: str | None = None,
    cap: int = DEFAULT_CAP,
) -> list[RemittanceRecord]:
    """Read a CSV or Parquet remittance file into records (file order).

    Parameters
    ----------
    path : path
        The file.
    decimals : int
        The settlement token's decimals (money is converted to its units).
    format : {"csv", "parquet"}, optional
        Default: from the suffix (``.parquet``; anything else is CSV). Freddie
        Mac performance files go through :func:`trancheflow.servicer.freddie.read_freddie_month`.
    cap : int
        Problems collected before giving up.

    Raises
    ------
    RemittanceError
        Missing columns, unreadable file, or any cell breaking its rule
        (missing, not a number, negative, too many decimals, unknown status
        or modification, duplicate loan id), every problem listed.
    """
    p = Path(path)
    fmt = detect_format(p, format)
    if fmt == "freddie":
        raise RemittanceError(
            [
                Problem(
                    str(p),
                    None,
                    None,
                    None,
                    "is a Freddie Mac performance file: read it with its month "
                    "(read_freddie_month / --format freddie --month YYYYMM)",
                )
            ]
        )
    df = _frame(p, fmt)
    probs = Problems(str(p), cap)
    missing = [c for c in REQUIRED if c not in df.columns]
    for c in missing:
        probs.add(None, c, None, "required column is missing")
    known = {c.name for c in COLUMNS}
    for c in df.columns:
        if str(c) not in known:
            probs.add(None, str(c), None, "is not a remittance column (see docs/remittance.md)")
    probs.raise_if_any()
    if df.empty:
        probs.add(None, None, None, "has no rows: a remittance lists every outstanding loan")
        probs.raise_if_any()
    has_mod = "modification" in df.columns
    has_days = "days_delinquent" in df.columns
    records: list[RemittanceRecord] = []
    first_row: dict[str, int] = {}
    for i, row in enumerate(df.to_dict("records"), start=1):
        ok = True
        lid = row["loan_id"]
        if _blank(lid):
            probs.add(i, "loan_id", None, "is missing")
            ok = False
        else:
            lid = str(lid).strip()
            if lid in first_row:
                probs.add(
                    i, "loan_id", lid, f"is a duplicate loan id (first at row {first_row[lid]})"
                )
                ok = False
            else:
                first_row[lid] = i
        period = _integer(row["period"])
        if period is None or period < 1:
            probs.add(i, "period", row["period"], "must be a whole period number >= 1")
            ok = False
        money: dict[str, int] = {}
        for c in MONEY:
            units, rule = _money(row[c], decimals)
            if rule is not None:
                probs.add(i, c, row[c], rule)
                ok = False
            else:
                assert units is not None
                money[c] = units
        status = row["delinquency_status"]
        status = "" if _blank(status) else str(status).strip()
        if status not in STATUSES:
            probs.add(i, "delinquency_status", status, f"is not a status: {', '.join(STATUSES)}")
            ok = False
        mod = row["modification"] if has_mod else None
        mod = "none" if _blank(mod) else str(mod).strip()
        if mod not in MODIFICATIONS:
            probs.add(i, "modification", mod, f"is not a modification: {', '.join(MODIFICATIONS)}")
            ok = False
        days: int | None = None
        if has_days and not _blank(row["days_delinquent"]):
            days = _integer(row["days_delinquent"])
            if days is None or not 0 <= days <= MAX_DAYS:
                probs.add(
                    i,
                    "days_delinquent",
                    row["days_delinquent"],
                    f"must be a whole number from 0 to {MAX_DAYS}",
                )
                ok = False
            elif status in STATUSES and not days_in_range(status, days):
                low, high = DAYS_RANGE[status]
                span = f"{low} or more" if high is None else f"{low} to {high}"
                probs.add(i, "days_delinquent", days, f"must be {span} for status {status}")
                ok = False
        if ok:
            assert period is not None
            records.append(
                RemittanceRecord(
                    row=i,
                    loan_id=str(lid),
                    period=period,
                    delinquency_status=status,
                    modification=mod,
                    days_delinquent=days,
                    **money,
                )
            )
    probs.raise_if_any()
    return records
