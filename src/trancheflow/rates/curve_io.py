"""Reading yield-curve quotes from CSV files.

The file has a header row with columns ``tenor,rate`` and optionally
``kind``; lines starting with ``#`` and blank lines are ignored (use them for
the as-of date and source). ``tenor`` is a number of years (``0.25``) or a
market tenor (``1M``, ``13W``, ``2Y``, ``90D``; days count as 1/365 year,
weeks as 7/365). ``rate`` is a decimal (``0.0452`` for 4.52%). ``kind`` is
``zero``, ``bill`` or ``par`` (see :mod:`trancheflow.rates.bootstrap`); when
the column or a cell is empty the reader's ``default_kind`` applies, which by
default treats tenors below one year as bills and the rest as semiannual par
yields (a Treasury par curve).

Examples
--------
>>> parse_tenor("3M"), parse_tenor("2y"), parse_tenor("0.5")
(0.25, 2.0, 0.5)
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from trancheflow.errors import CurveError, Problem
from trancheflow.rates.bootstrap import QUOTE_KINDS, bootstrap_curve
from trancheflow.rates.curve import ZeroCurve

#: Quotes outside this range (decimals) are refused as implausible.
RATE_BOUNDS: tuple[float, float] = (-0.05, 0.50)

_TENOR_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([DWMY])\s*$", re.IGNORECASE)
_UNIT_YEARS = {"D": 1.0 / 365.0, "W": 7.0 / 365.0, "M": 1.0 / 12.0, "Y": 1.0}
_COLUMNS = ("tenor", "rate", "kind")


def parse_tenor(text: str) -> float:
    """Parse a tenor (``3M``, ``2Y``, ``13W``, ``30D`` or years like ``0.25``) to years.

    Raises
    ------
    ValueError
        If ``text`` is neither a number nor ``<number><D|W|M|Y>``.

    Examples
    --------
    >>> parse_tenor("18M")
    1.5
    """
    m = _TENOR_RE.match(text)
    if m:
        return float(m.group(1)) * _UNIT_YEARS[m.group(2).upper()]
    return float(text)


def read_curve_csv(
    path: str | Path,
    *,
    default_kind: Literal["auto", "zero", "bill", "par"] = "auto",
    frequency: int = 2,
) -> ZeroCurve:
    """Read quotes from a CSV file and bootstrap a :class:`ZeroCurve`.

    Parameters
    ----------
    path : str or Path
        CSV file with columns ``tenor,rate[,kind]``.
    default_kind : {"auto", "zero", "bill", "par"}, optional
        Kind for rows without one; ``"auto"`` (default) means ``bill`` below
        one year and ``par`` from one year on.
    frequency : int, optional
        Coupons per year of ``par`` quotes, default 2 (Treasuries).

    Returns
    -------
    ZeroCurve

    Raises
    ------
    CurveError
        Listing every problem found, each naming file, row (1-based data row,
        header and comments excluded), field, value and rule: missing file or
        columns, non-numeric values, non-positive maturities, rates outside
        :data:`RATE_BOUNDS` (decimals, not percent), unknown kinds, tenors not
        strictly increasing (unsorted or duplicate), par tenors that are not a
        whole number of coupon periods.

    Examples
    --------
    >>> import tempfile, os
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = os.path.join(d, "c.csv")
    ...     _ = open(p, "w").write("tenor,rate\\n6M,0.05\\n1Y,0.049\\n2Y,0.047\\n")
    ...     curve = read_curve_csv(p)
    >>> curve.tenors.tolist()
    [0.5, 1.0, 2.0]
    """
    p = Path(path)
    name = str(path)
    if default_kind not in ("auto", *QUOTE_KINDS):
        raise CurveError(f"default_kind {default_kind!r} must be 'auto' or one of {QUOTE_KINDS}")
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise CurveError(f"{name}: cannot read curve file ({exc.strerror or exc})") from exc

    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    if not lines:
        raise CurveError(f"{name}: file is empty; expected a header 'tenor,rate[,kind]'")
    reader = csv.DictReader(lines)
    header = [(h or "").strip().lower() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    problems: list[Problem] = []
    for col in ("tenor", "rate"):
        if col not in header:
            problems.append(Problem(name, None, col, None, f"required column {col!r} is missing"))
    for col in header:
        if col not in _COLUMNS:
            problems.append(
                Problem(name, None, col, None, f"unknown column {col!r}; allowed: {_COLUMNS}")
            )
    if problems:
        raise _error(problems)

    tenors: list[float] = []
    rates: list[float] = []
    kinds: list[str] = []
    prev: tuple[int, float] | None = None
    lo, hi = RATE_BOUNDS
    for row_no, row in enumerate(reader, start=1):
        if None in row:  # more cells than header columns
            problems.append(Problem(name, row_no, None, None, "has more cells than the header"))
            continue
        raw_t = (row.get("tenor") or "").strip()
        raw_r = (row.get("rate") or "").strip()
        raw_k = (row.get("kind") or "").strip().lower()
        tenor = _parse_cell(raw_t, parse_tenor)
        rate = _parse_cell(raw_r, float)
        ok = True
        if tenor is None:
            problems.append(
                Problem(name, row_no, "tenor", raw_t, "must be years (0.25) or like 3M, 2Y")
            )
            ok = False
        elif tenor <= 0.0:
            problems.append(Problem(name, row_no, "tenor", raw_t, "must be a positive maturity"))
            ok = False
        if rate is None:
            problems.append(Problem(name, row_no, "rate", raw_r, "must be a finite number"))
            ok = False
        elif not lo <= rate <= hi:
            problems.append(
                Problem(
                    name,
                    row_no,
                    "rate",
                    raw_r,
                    f"must be a decimal in [{lo}, {hi}] (give 4.5% as 0.045, not 4.5)",
                )
            )
            ok = False
        kind = raw_k or default_kind
        if kind == "auto" and tenor is not None:
            kind = "bill" if tenor < 1.0 else "par"
        if kind not in QUOTE_KINDS and kind != "auto":
            problems.append(Problem(name, row_no, "kind", raw_k, f"must be one of {QUOTE_KINDS}"))
            ok = False
        if tenor is not None and tenor > 0.0:
            if prev is not None and tenor <= prev[1]:
                rule = (
                    f"duplicates the tenor of row {prev[0]}"
                    if math.isclose(tenor, prev[1], rel_tol=0.0, abs_tol=1e-12)
                    else f"must be greater than row {prev[0]}'s tenor (tenors sorted ascending)"
                )
                problems.append(Problem(name, row_no, "tenor", raw_t, rule))
                ok = False
            else:
                prev = (row_no, tenor)
            if kind == "par" and abs(tenor * frequency - round(tenor * frequency)) > 1e-9:
                problems.append(
                    Problem(
                        name,
                        row_no,
                        "tenor",
                        raw_t,
                        f"is a par quote, so it must be a whole number of 1/{frequency}-year "
                        "coupon periods (use kind 'bill' or 'zero')",
                    )
                )
                ok = False
        if ok and tenor is not None and rate is not None:
            tenors.append(tenor)
            rates.append(rate)
            kinds.append(kind)
    if not problems and not tenors:
        problems.append(Problem(name, None, None, None, "has a header but no data rows"))
    if problems:
        raise _error(problems)
    try:
        return bootstrap_curve(tenors, rates, kinds, frequency=frequency)
    except CurveError as exc:
        raise CurveError(f"{name}: {exc}") from exc


def _parse_cell(raw: str, parse: Callable[[str], float]) -> float | None:
    try:
        value = parse(raw)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(value):
        return None
    return float(value)


def _error(problems: list[Problem]) -> CurveError:
    head = f"curve file rejected: {len(problems)} problem(s)"
    return CurveError("\n".join([head, *(f"  - {p}" for p in problems)]))
