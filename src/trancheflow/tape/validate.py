"""Validate a loan tape and return it normalised, or reject it with every problem found.

A tape is rejected whole: :func:`validate_tape` never drops a row or coerces a
value it cannot read. It collects every problem (up to a cap) as a
:class:`trancheflow.errors.Problem` naming the file, the row, the field, the
value as read and the rule, and raises
:class:`trancheflow.errors.TapeValidationError`.

Row numbers
-----------
Rows are **1-based data rows, the header excluded**: row 1 is the first loan,
i.e. line 2 of a CSV file with one header line (row ``n`` is line ``n + 1``).
For headerless files (the Freddie Mac layout) a data row is the line number.
File-level problems (a missing column, an empty tape) have ``row=None``.

Rules
-----
Per value (bounds are those of :mod:`trancheflow.tape.schema`):

* a required column is missing; a required value is empty;
* a number, whole number (terms, ages) or ISO date cannot be read;
* a value is outside its bounds (rates are annual decimals, so ``6.5`` for
  6.5% is refused with a hint; terms must be > 0; FICO 300-850; LTV/CLTV in
  (0, 2]; DTI in [0, 1]);
* an enum value is not one of the allowed codes (matched exactly: ``Owner`` is
  not ``owner``).

Across fields:

* ``remaining_term`` exceeds ``original_term``;
* ``loan_age + remaining_term`` differs from ``original_term`` by more than
  ``term_tolerance`` months (3 by default, for servicers who report age and
  remaining term from slightly different dates). A **modified** loan whose term
  was extended must be reported with ``original_term`` set to its modified
  term (``loan_age + remaining_term``); that is what the Freddie reader does;
* ``net_rate`` exceeds ``note_rate``; ``note_rate - net_rate`` differs from a
  given ``servicing_fee`` (by more than 1e-9); neither ``net_rate`` nor
  ``servicing_fee`` is given;
* a ``loan_id`` appears twice (each repeat is reported, naming the first row);
* ``current_balance`` exceeds ``original_balance`` on a ``level_pay`` loan;
* ``io_term`` > 0 on a loan that is not ``interest_only``, or an
  ``interest_only`` loan without ``io_term`` in (0, ``original_term``);
* ``balloon_term`` > 0 on a loan that is not ``balloon``, or a ``balloon`` loan
  whose ``balloon_term`` is not in (``loan_age``, ``original_term``];
* ``cltv`` below ``ltv``;
* the tape has no loans.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from trancheflow.errors import Problem, TapeValidationError

from .schema import COLUMN_BY_NAME, COLUMNS, REQUIRED_COLUMNS, Column

__all__ = ["DEFAULT_TERM_TOLERANCE", "Locator", "validate_tape"]

DEFAULT_TERM_TOLERANCE = 3
_FEE_TOLERANCE = 1e-9
_ORDER = {c.name: i for i, c in enumerate(COLUMNS)}

Locator = Callable[[int, str | None], tuple[str, int]]
"""Maps (0-based position in the frame, field) to (file, 1-based row) for problems."""


def _fmt(x: float) -> str:
    return f"{x:g}"


def _range_rule(col: Column) -> str:
    lo = "> " if col.low_exclusive else ">= "
    parts = []
    if col.low is not None:
        parts.append(lo + _fmt(col.low))
    if col.high is not None:
        parts.append("<= " + _fmt(col.high))
    rule = "must be " + " and ".join(parts)
    if col.name in {"note_rate", "net_rate", "servicing_fee", "ltv", "cltv", "dti"}:
        rule += " (a decimal: 0.065, not 6.5)"
    return rule


class _Collector:
    """Accumulates problems, at most ``cap + 1`` per rule, in row order."""

    def __init__(self, source: str, locate: Locator | None, cap: int) -> None:
        self.source = source
        self.locate = locate
        self.cap = cap
        self.file_level: list[Problem] = []
        self.rows: list[tuple[tuple[str, int, int], Problem]] = []

    def file(self, field: str | None, rule: str) -> None:
        self.file_level.append(Problem(self.source, None, field, None, rule))

    def where(self, i: int, field: str | None) -> tuple[str, int]:
        if self.locate is None:
            return self.source, i + 1
        return self.locate(i, field)

    def add(
        self,
        mask: np.ndarray,
        field: str,
        raw: pd.Series,
        rule: str | Callable[[int], str],
    ) -> None:
        for i in np.flatnonzero(mask)[: self.cap + 1]:
            i = int(i)
            file, row = self.where(i, field)
            value = raw.iloc[i]
            if isinstance(value, str) and not value.strip():
                value = None  # a blank cell is reported as absent, like an empty one
            elif value is not None and not isinstance(value, str) and pd.isna(value):
                value = None
            elif isinstance(value, np.generic):
                value = value.item()
            text = rule(i) if callable(rule) else rule
            key = (file, row, _ORDER.get(field, len(_ORDER)))
            self.rows.append((key, Problem(file, row, field, value, text)))

    def result(self) -> tuple[list[Problem], bool]:
        ordered = self.file_level + [p for _, p in sorted(self.rows, key=lambda kp: kp[0])]
        return ordered[: self.cap], len(ordered) > self.cap


def _missing(raw: pd.Series) -> np.ndarray:
    miss = np.array(raw.isna(), dtype=bool)
    if raw.dtype == object or pd.api.types.is_string_dtype(raw.dtype):
        blank = raw.astype("string").str.strip().eq("").fillna(False)
        miss |= blank.to_numpy(dtype=bool)
    return miss


def _parse_number(raw: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(raw.dtype):
        return pd.Series(np.nan, index=raw.index)  # True/False is not a balance
    if pd.api.types.is_numeric_dtype(raw.dtype):
        return raw.astype("float64")
    # Text of every cell (str() of a float is its shortest round-trip repr);
    # "True"/"False" then fail to parse, as they should.
    text = raw.astype("string").str.strip()
    return pd.to_numeric(text, errors="coerce").astype("float64")


def _parse_column(col: Column, raw: pd.Series, out: _Collector) -> tuple[pd.Series, np.ndarray]:
    """Parse one column; return (parsed values, valid mask)."""
    miss = _missing(raw)
    if col.required:
        out.add(miss, col.name, raw, "required value is missing")
    if col.kind in {"float", "int"}:
        num = _parse_number(raw)
        bad = ~miss & num.isna().to_numpy()
        out.add(bad, col.name, raw, "must be a number")
        ok = ~miss & ~bad
        vals = num.to_numpy(dtype="float64", na_value=np.nan)
        if col.kind == "int":
            frac = (
                ok & np.isfinite(vals) & (np.mod(vals, 1.0, where=ok, out=np.zeros_like(vals)) != 0)
            )
            out.add(frac, col.name, raw, "must be a whole number of months")
            ok &= ~frac
        lo_bad = np.zeros(len(vals), dtype=bool)
        if col.low is not None:
            with np.errstate(invalid="ignore"):
                lo_bad = vals <= col.low if col.low_exclusive else vals < col.low
        hi_bad = np.zeros(len(vals), dtype=bool)
        if col.high is not None:
            with np.errstate(invalid="ignore"):
                hi_bad = vals > col.high
        rng = ok & (lo_bad | hi_bad | ~np.isfinite(np.where(ok, vals, 0.0)))
        out.add(rng, col.name, raw, _range_rule(col))
        ok &= ~rng
        return pd.Series(np.where(ok, vals, np.nan), index=raw.index), ok
    if col.kind == "date":
        if pd.api.types.is_datetime64_any_dtype(raw.dtype):
            parsed = pd.to_datetime(raw)
        else:
            text = raw.astype("object").where(~miss, None)
            parsed = pd.to_datetime(text, format="ISO8601", errors="coerce")
        bad = ~miss & parsed.isna().to_numpy()
        out.add(bad, col.name, raw, "must be a date (YYYY-MM-DD)")
        return parsed.astype("datetime64[s]"), ~miss & ~bad
    # str / enum
    text = raw.astype("object")
    if col.kind == "enum":
        assert col.choices is not None
        choices = col.choices
        bad = ~miss & ~text.isin(choices).to_numpy()
        out.add(bad, col.name, raw, "must be one of " + ", ".join(sorted(choices)))
        return text.where(~miss & ~bad, None), ~miss & ~bad
    return text.where(~miss, None).map(lambda v: v if v is None else str(v)), ~miss


def validate_tape(
    df: pd.DataFrame,
    *,
    source: str = "<memory>",
    max_problems: int = 100,
    term_tolerance: int = DEFAULT_TERM_TOLERANCE,
    locate: Locator | None = None,
) -> pd.DataFrame:
    """Check every rule on a tape and return it normalised, or raise with all problems.

    Parameters
    ----------
    df : pandas.DataFrame
        The tape as read: values may be strings (CSV read as text) or typed.
    source : str
        The file name reported in problems.
    max_problems : int
        Collect at most this many problems; ``truncated`` tells if there were more.
    term_tolerance : int
        Months by which ``loan_age + remaining_term`` may differ from
        ``original_term`` (see the module notes on modified loans).
    locate : callable, optional
        ``locate(position, field) -> (file, row)`` for sources whose rows come
        from several files (the Freddie reader); by default ``(source, position + 1)``.

    Returns
    -------
    pandas.DataFrame
        Canonical dtypes (float64 balances and rates, int64 terms, ``object``
        strings with ``None`` for absent optional values, ``datetime64[s]``
        dates); ``net_rate`` and ``servicing_fee`` both filled; ``io_term`` and
        ``balloon_term`` default 0; schema columns first, then any extra columns.

    Raises
    ------
    TapeValidationError
        With every problem found, in file/row/column order, up to ``max_problems``.

    Examples
    --------
    >>> raw = pd.DataFrame({"loan_id": ["A", "A"], "original_balance": ["100000", "x"],
    ...     "current_balance": [90000, 80000], "note_rate": [0.06, 0.06],
    ...     "servicing_fee": [0.0025, 0.0025], "original_term": [360, 360],
    ...     "loan_age": [12, 12], "remaining_term": [348, 348],
    ...     "amortization_type": ["level_pay", "level_pay"]})
    >>> try:
    ...     validate_tape(raw, source="t.csv")
    ... except TapeValidationError as e:
    ...     print(*e.problems, sep="\\n")
    t.csv row 2, field 'loan_id': value 'A' duplicates row 1
    t.csv row 2, field 'original_balance': value 'x' must be a number
    >>> ok = validate_tape(raw.iloc[:1])
    >>> float(ok.loc[0, "net_rate"]), int(ok.loc[0, "io_term"])
    (0.0575, 0)
    """
    if max_problems < 1:
        raise ValueError(f"max_problems must be >= 1, got {max_problems}")
    out = _Collector(source, locate, max_problems)
    for name in REQUIRED_COLUMNS:
        if name not in df.columns:
            out.file(name, "required column is missing")
    if len(df) == 0:
        out.file(None, "tape has no loans")
    if out.file_level:
        problems, truncated = out.result()
        raise TapeValidationError(problems, truncated)

    df = df.reset_index(drop=True)
    parsed: dict[str, pd.Series] = {}
    valid: dict[str, np.ndarray] = {}
    for col in COLUMNS:
        if col.name in df.columns:
            parsed[col.name], valid[col.name] = _parse_column(col, df[col.name], out)

    _cross_rules(df, parsed, valid, out, term_tolerance)
    problems, truncated = out.result()
    if problems:
        raise TapeValidationError(problems, truncated)
    return _normalise(df, parsed)


def _f(parsed: dict[str, pd.Series], name: str, n: int) -> np.ndarray:
    s = parsed.get(name)
    if s is None:
        return np.full(n, np.nan)
    return s.to_numpy(dtype="float64", na_value=np.nan)


def _cross_rules(
    df: pd.DataFrame,
    parsed: dict[str, pd.Series],
    valid: dict[str, np.ndarray],
    out: _Collector,
    tol: int,
) -> None:
    n = len(df)
    orig_term = _f(parsed, "original_term", n)
    age = _f(parsed, "loan_age", n)
    rem = _f(parsed, "remaining_term", n)
    raw = df

    # loan_id duplicates: report every repeat with the first row it repeats.
    ids = parsed["loan_id"]
    dup = ids.duplicated(keep="first").to_numpy() & valid["loan_id"]
    if dup.any():
        first_pos = {}
        for i, v in enumerate(ids):
            if v is not None and v not in first_pos:
                first_pos[v] = i
        out.add(
            dup,
            "loan_id",
            raw["loan_id"],
            lambda i: f"duplicates row {out.where(first_pos[ids.iloc[i]], 'loan_id')[1]}",
        )

    with np.errstate(invalid="ignore"):
        too_long = rem > orig_term
        out.add(
            too_long,
            "remaining_term",
            raw["remaining_term"],
            lambda i: f"must not exceed original_term ({orig_term[i]:g})",
        )
        gap = np.abs(age + rem - orig_term)
        inconsistent = ~too_long & (gap > tol)
    out.add(
        inconsistent,
        "remaining_term",
        raw["remaining_term"],
        lambda i: (
            f"plus loan_age ({age[i]:g}) must equal original_term ({orig_term[i]:g}) "
            f"within {tol} months"
        ),
    )

    note = _f(parsed, "note_rate", n)
    net = _f(parsed, "net_rate", n)
    fee = _f(parsed, "servicing_fee", n)
    has_net = ~np.isnan(net)
    has_fee = ~np.isnan(fee)
    net_raw = raw.get("net_rate", None)
    fee_raw = raw.get("servicing_fee", None)
    with np.errstate(invalid="ignore"):
        if net_raw is not None:
            out.add(
                net > note,
                "net_rate",
                net_raw,
                lambda i: f"must not exceed note_rate ({note[i]:g})",
            )
            if fee_raw is not None:
                clash = has_net & has_fee & ~(net > note)
                clash &= np.abs(note - net - fee) > _FEE_TOLERANCE
                out.add(
                    clash,
                    "servicing_fee",
                    fee_raw,
                    lambda i: f"must equal note_rate - net_rate ({note[i] - net[i]:g})",
                )
    # Neither given: only flag rows whose net/fee cells are truly empty, not unreadable.
    net_empty = _missing(net_raw) if net_raw is not None else np.ones(n, dtype=bool)
    fee_empty = _missing(fee_raw) if fee_raw is not None else np.ones(n, dtype=bool)
    neither = net_empty & fee_empty
    out.add(
        neither,
        "net_rate",
        net_raw if net_raw is not None else pd.Series([None] * n),
        "or servicing_fee is required (one fills the other)",
    )

    cur = _f(parsed, "current_balance", n)
    orig_bal = _f(parsed, "original_balance", n)
    amort = parsed["amortization_type"]
    level = (amort == "level_pay").to_numpy()
    is_io = (amort == "interest_only").to_numpy()
    is_balloon = (amort == "balloon").to_numpy()
    known = amort.notna().to_numpy()  # type rules wait until the type itself is readable
    with np.errstate(invalid="ignore"):
        out.add(
            level & (cur > orig_bal),
            "current_balance",
            raw["current_balance"],
            lambda i: f"must not exceed original_balance ({orig_bal[i]:g}) on a level_pay loan",
        )

    io = _f(parsed, "io_term", n)
    if "io_term" in raw:
        with np.errstate(invalid="ignore"):
            out.add(
                known & ~is_io & (io > 0),
                "io_term",
                raw["io_term"],
                lambda i: f"must be 0 on a {amort.iloc[i]} loan (only interest_only loans)",
            )
    io0 = np.where(valid.get("io_term", np.ones(n, dtype=bool)), np.nan_to_num(io, nan=0.0), 1.0)
    with np.errstate(invalid="ignore"):
        io_bad = is_io & ((io0 <= 0) | (io0 >= orig_term))
    out.add(
        io_bad,
        "io_term",
        raw["io_term"] if "io_term" in raw else pd.Series([None] * n),
        lambda i: f"must be > 0 and < original_term ({orig_term[i]:g}) on an interest_only loan",
    )

    bt = _f(parsed, "balloon_term", n)
    if "balloon_term" in raw:
        with np.errstate(invalid="ignore"):
            out.add(
                known & ~is_balloon & (bt > 0),
                "balloon_term",
                raw["balloon_term"],
                lambda i: f"must be 0 on a {amort.iloc[i]} loan (only balloon loans)",
            )
    bt0 = np.where(
        valid.get("balloon_term", np.ones(n, dtype=bool)), np.nan_to_num(bt, nan=0.0), np.inf
    )
    with np.errstate(invalid="ignore"):
        bt_bad = is_balloon & np.isfinite(bt0) & ((bt0 <= age) | (bt0 > orig_term) | (bt0 <= 0))
    out.add(
        bt_bad,
        "balloon_term",
        raw["balloon_term"] if "balloon_term" in raw else pd.Series([None] * n),
        lambda i: (
            f"must be > loan_age ({age[i]:g}) and <= original_term ({orig_term[i]:g}) "
            "on a balloon loan"
        ),
    )

    if "cltv" in raw and "ltv" in raw:
        ltv = _f(parsed, "ltv", n)
        cltv = _f(parsed, "cltv", n)
        with np.errstate(invalid="ignore"):
            out.add(
                cltv < ltv - 1e-12,
                "cltv",
                raw["cltv"],
                lambda i: f"must not be below ltv ({ltv[i]:g})",
            )


def _normalise(df: pd.DataFrame, parsed: dict[str, pd.Series]) -> pd.DataFrame:
    n = len(df)
    cols: dict[str, Any] = {}
    note = parsed["note_rate"].to_numpy(dtype="float64")
    net = _f(parsed, "net_rate", n)
    fee = _f(parsed, "servicing_fee", n)
    # Rounded to 1e-12 so 0.06 - 0.0025 reads 0.0575, not 0.057499999999999996.
    net = np.where(np.isnan(net), np.round(note - fee, 12), net)
    fee = np.where(np.isnan(fee), np.round(note - net, 12), fee)
    parsed = dict(parsed)
    parsed["net_rate"] = pd.Series(net)
    parsed["servicing_fee"] = pd.Series(fee)
    for name in ("io_term", "balloon_term"):
        parsed[name] = pd.Series(_f(parsed, name, n)).fillna(0.0)
    for col in COLUMNS:
        if col.name not in parsed:
            continue
        s = parsed[col.name]
        if col.kind == "int":
            cols[col.name] = s.astype("int64") if not s.isna().any() else s.astype("Int64")
        elif col.kind == "float":
            cols[col.name] = s.astype("float64")
        elif col.kind == "date":
            cols[col.name] = s
        else:
            cols[col.name] = s.astype("object")
    result = pd.DataFrame({k: pd.Series(v).reset_index(drop=True) for k, v in cols.items()})
    for extra in df.columns:
        if extra not in COLUMN_BY_NAME:
            result[extra] = df[extra].to_numpy()
    return result
