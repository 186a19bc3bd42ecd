"""Turn a pool (tape DataFrame, rep line or rep lines) into the kernel's loan arrays.

Amortization conventions (all in months; ``t`` is the 1-based projection
period; the loan's payment number in period ``t`` is ``loan_age + t``):

* ``level_pay``: level payment over ``remaining_term`` (the WAM, BMA SF-39);
  the payment is recomputed each month from the current balance, gross rate
  and remaining term; the loan matures in period ``remaining_term``.
* ``interest_only``: no scheduled principal while ``loan_age + t <= io_term``,
  then level pay over the months left to ``remaining_term``.
* ``balloon``: level pay on the original amortization term ``original_term``
  (``original_term - loan_age`` months left at the start); the whole balance is
  due in period ``balloon_term - loan_age`` (or at ``remaining_term`` if sooner).

Examples
--------
>>> import pandas as pd
>>> tape = pd.DataFrame({"current_balance": [100.0], "note_rate": [0.07], "net_rate": [0.065],
...     "original_term": [360], "loan_age": [10], "remaining_term": [350],
...     "amortization_type": ["balloon"], "io_term": [0], "balloon_term": [84]})
>>> la = loan_arrays(tape)
>>> int(la.n_amort[0]), int(la.life[0]), int(la.age0[0])
(350, 74, 10)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from trancheflow.errors import Problem, TapeError, TapeValidationError

from .assumptions import AMORTIZATION_CODES, RepLine

Pool = pd.DataFrame | RepLine | Sequence[RepLine]

_REQUIRED = ("current_balance", "note_rate", "original_term", "loan_age", "remaining_term")


@dataclass(frozen=True)
class LoanArrays:
    """Per-loan kernel inputs (see :func:`~trancheflow.collateral.kernel.project_kernel`)."""

    bal: np.ndarray
    rate_m: np.ndarray
    net_m: np.ndarray
    fee_m: np.ndarray
    n_amort: np.ndarray
    io_left: np.ndarray
    life: np.ndarray
    age0: np.ndarray

    @property
    def n_loans(self) -> int:
        """Number of loans."""
        return int(self.bal.shape[0])

    def take(self, idx: np.ndarray) -> LoanArrays:
        """The loans at positions ``idx``."""
        return LoanArrays(*(getattr(self, f)[idx] for f in self.__dataclass_fields__))


def _column(df: pd.DataFrame, name: str, fill: float | None, problems: list[Problem]) -> np.ndarray:
    if name not in df.columns:
        if fill is None:
            problems.append(Problem("pool", None, name, None, "required column is missing"))
            return np.zeros(len(df))
        return np.full(len(df), fill, dtype=np.float64)
    values = pd.to_numeric(df[name], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    if fill is not None:
        values = np.where(np.isnan(values), fill, values)
    bad = np.flatnonzero(~np.isfinite(values))
    for i in bad[:20]:
        problems.append(Problem("pool", int(i) + 1, name, df[name].iloc[i], "must be a number"))
    return values


_Columns = tuple[
    np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray,
    np.ndarray, np.ndarray, np.ndarray, np.ndarray,
]  # fmt: skip


def _repline_columns(lines: Sequence[RepLine]) -> _Columns:
    """Rep lines are validated on construction; read their fields straight into arrays."""

    def arr(field: str) -> np.ndarray:
        return np.array([getattr(x, field) for x in lines], dtype=np.float64)

    codes = np.array([AMORTIZATION_CODES[x.amortization_type] for x in lines], dtype=np.int64)
    return (
        arr("balance"), arr("gross_rate"), arr("net_rate"), arr("term"), arr("wala"),
        arr("wam"), arr("io_term"), arr("balloon_term"), codes,
    )  # fmt: skip


def _frame_columns(df: pd.DataFrame, problems: list[Problem]) -> _Columns:
    bal = _column(df, "current_balance", None, problems)
    gross = _column(df, "note_rate", None, problems)
    if "net_rate" in df.columns:
        net = _column(df, "net_rate", None, problems)
    elif "servicing_fee" in df.columns:
        net = gross - _column(df, "servicing_fee", None, problems)
    else:
        problems.append(
            Problem("pool", None, "net_rate", None, "required column is missing (or servicing_fee)")
        )
        net = gross
    oterm = _column(df, "original_term", None, problems)
    age = _column(df, "loan_age", None, problems)
    wam = _column(df, "remaining_term", None, problems)
    io_term = _column(df, "io_term", 0.0, problems)
    balloon = _column(df, "balloon_term", 0.0, problems)
    if "amortization_type" in df.columns:
        types = df["amortization_type"].astype("string").fillna("level_pay")
        codes = types.map(AMORTIZATION_CODES).fillna(-1).to_numpy(dtype=np.int64)
        for i in np.flatnonzero(codes < 0)[:20]:
            problems.append(
                Problem(
                    "pool",
                    int(i) + 1,
                    "amortization_type",
                    types.iloc[i],
                    f"must be one of {sorted(AMORTIZATION_CODES)}",
                )
            )
    else:
        codes = np.zeros(len(df), dtype=np.int64)
    return bal, gross, net, oterm, age, wam, io_term, balloon, codes


def loan_arrays(pool: Pool) -> LoanArrays:
    """Validate a pool and convert it into kernel arrays (one entry per loan).

    Parameters
    ----------
    pool : pandas.DataFrame, RepLine or sequence of RepLine
        A normalised loan tape with the columns of
        :data:`trancheflow.tape.schema.ENGINE_COLUMNS` (``net_rate`` may be
        replaced by ``servicing_fee``; ``amortization_type``, ``io_term`` and
        ``balloon_term`` default to level pay / 0 when absent), or rep lines.

    Raises
    ------
    TapeValidationError
        Listing each bad row and field.
    TapeError
        When the pool is of an unknown type.
    """
    if isinstance(pool, RepLine):
        pool = [pool]
    if isinstance(pool, pd.DataFrame):
        problems: list[Problem] = []
        cols = _frame_columns(pool, problems)
    elif isinstance(pool, Sequence) and all(isinstance(x, RepLine) for x in pool):
        problems = []
        cols = _repline_columns(pool)
    else:
        raise TapeError(
            f"pool of type {type(pool).__name__} is not a DataFrame, RepLine or list of RepLine"
        )
    bal, gross, net, oterm, age, wam, io_term, balloon, codes = cols
    if problems:
        raise TapeValidationError(problems[:50], truncated=len(problems) > 50)

    def check(mask: np.ndarray, field: str, values: np.ndarray, rule: str) -> None:
        for i in np.flatnonzero(mask)[:20]:
            problems.append(Problem("pool", int(i) + 1, field, float(values[i]), rule))

    check(bal < 0, "current_balance", bal, "must be >= 0")
    check((gross < 0) | (gross >= 1), "note_rate", gross, "must be an annual decimal in [0, 1)")
    check((net < 0) | (net > gross + 1e-12), "net_rate", net, "must be within [0, note_rate]")
    for name, arr, low in (
        ("remaining_term", wam, 1),
        ("loan_age", age, 0),
        ("original_term", oterm, 1),
        ("io_term", io_term, 0),
        ("balloon_term", balloon, 0),
    ):
        check((arr != np.round(arr)) | (arr < low), name, arr, f"must be a whole number >= {low}")
    is_balloon = codes == AMORTIZATION_CODES["balloon"]
    check(
        is_balloon & (balloon <= age) & (bal > 0),
        "balloon_term",
        balloon,
        "must be after loan_age for a balloon loan",
    )
    if problems:
        raise TapeValidationError(problems[:50], truncated=len(problems) > 50)

    wam_i = wam.astype(np.int64)
    age_i = age.astype(np.int64)
    life = wam_i.copy()
    n_amort = wam_i.copy()
    io_left = np.zeros(bal.shape[0], dtype=np.int64)
    is_io = codes == AMORTIZATION_CODES["interest_only"]
    io_left[is_io] = np.maximum(io_term[is_io].astype(np.int64) - age_i[is_io], 0)
    due = balloon.astype(np.int64) - age_i
    life[is_balloon] = np.minimum(wam_i[is_balloon], due[is_balloon])
    n_amort[is_balloon] = np.maximum(
        oterm[is_balloon].astype(np.int64) - age_i[is_balloon], life[is_balloon]
    )
    life[bal <= 0] = 0
    return LoanArrays(
        bal=np.ascontiguousarray(bal, dtype=np.float64),
        rate_m=np.ascontiguousarray(gross / 12.0),
        net_m=np.ascontiguousarray(net / 12.0),
        fee_m=np.ascontiguousarray((gross - net) / 12.0),
        n_amort=np.ascontiguousarray(n_amort),
        io_left=np.ascontiguousarray(io_left),
        life=np.ascontiguousarray(life),
        age0=np.ascontiguousarray(age_i),
    )
