"""Loan-month features a prepayment/credit desk uses, from a compact loan-month panel.

A :class:`LoanMonths` holds one row per loan and observed month in columnar
arrays (loan index, period, age, UPB, status before and after the month) next
to a per-loan frame of origination covariates: the same content as the panel
of :mod:`trancheflow.tape.panel` (:func:`from_panel` / :meth:`LoanMonths.to_panel`
convert), without repeating the covariates on every row. A
:class:`MarketPath` carries the market mortgage rate and a house-price index
by month.

Features of the transition of loan ``i`` in month ``t`` (status at the end of
``t - 1`` to status at the end of ``t``), all known at the start of month ``t``:

=================  ==========================================================
``incentive``      note rate minus the market mortgage rate of month ``t-1``,
                   percentage points, rounded to :data:`INCENTIVE_STEP`
``burnout``        sum of the loan's positive incentives over its earlier
                   observed months, percentage-point-months, rounded to
                   :data:`BURNOUT_STEP`, capped at :data:`BURNOUT_CAP`
``loan_age``       months since the first payment
``month_of_year``  calendar month of ``t`` (1-12): seasonality
``mtm_ltv``        UPB at the end of ``t-1`` over the property value marked
                   with the HPI (origination value ``orig_upb / ltv``), percent,
                   rounded to :data:`LTV_STEP`
``fico``, ``dti``  origination FICO and DTI (percent)
``log_balance``    log of the original balance
``note_rate``      percent
``occupancy``, ``purpose``, ``channel``, ``state``, ``property_type``
                   categories, coded as integers (see :class:`CategoryCodes`)
``status``         status at the end of ``t-1`` (0 current, 1 d30, 2 d60,
                   3 d90p, 4 fc_reo)
=================  ==========================================================

The roundings make every path-dependent feature take values on a fixed grid;
that is what lets :mod:`trancheflow.models.compiled` turn a trained tree
ensemble into exact lookup tables for the projection kernels.

Examples
--------
>>> import numpy as np
>>> quantize(np.array([1.234, -0.026]), INCENTIVE_STEP).tolist()
[1.25, -0.05]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from trancheflow.errors import ModelError

__all__ = [
    "BURNOUT_CAP",
    "BURNOUT_STEP",
    "CATEGORICAL",
    "FEATURES",
    "INCENTIVE_STEP",
    "LTV_STEP",
    "PATH_FEATURES",
    "STATUS_CODES",
    "CategoryCodes",
    "LoanMonths",
    "MarketPath",
    "build_features",
    "burnout_of",
    "from_panel",
    "incentive_units",
    "month_index",
    "quantize",
]

F = npt.NDArray[np.float64]
I = npt.NDArray[np.int64]  # noqa: E741

INCENTIVE_STEP = 0.05
BURNOUT_STEP = 1.0
BURNOUT_CAP = 400.0
LTV_STEP = 0.5

#: Status codes; 5 and above are terminal (7 and 8: repurchase and note sale, censored
#: by the hazards: :data:`trancheflow.tape.panel.STATUSES`).
STATUS_CODES: dict[str, int] = {
    "current": 0,
    "d30": 1,
    "d60": 2,
    "d90p": 3,
    "fc_reo": 4,
    "prepaid": 5,
    "default": 6,
    "repurchased": 7,
    "note_sale": 8,
}
STATUS_NAMES: tuple[str, ...] = tuple(STATUS_CODES)

CATEGORICAL: tuple[str, ...] = ("occupancy", "purpose", "channel", "state", "property_type")
FEATURES: tuple[str, ...] = (
    "incentive",
    "burnout",
    "loan_age",
    "month_of_year",
    "mtm_ltv",
    "fico",
    "dti",
    "log_balance",
    "note_rate",
    *CATEGORICAL,
    "status",
)
#: Features that differ between rate paths in a Monte Carlo projection.
PATH_FEATURES: tuple[str, ...] = ("incentive", "burnout")

LOAN_COLUMNS: tuple[str, ...] = (
    "loan_id",
    "fico",
    "ltv",
    "cltv",
    "dti",
    "orig_upb",
    "orig_rate",
    "orig_term",
    "state",
    "occupancy",
    "purpose",
    "channel",
    "property_type",
    "first_payment",
    "vintage",
)


def quantize(x: npt.ArrayLike, step: float) -> F:
    """Round to the nearest multiple of ``step`` (halves away from zero)."""
    a = np.asarray(x, dtype=np.float64) / step
    return np.asarray(np.sign(a) * np.floor(np.abs(a) + 0.5) * step)


def month_index(dates: Any) -> I:
    """Months since January 1970 of dates (month starts or not)."""
    d = pd.DatetimeIndex(pd.to_datetime(np.asarray(dates)))
    return np.asarray(d.year * 12 + d.month - 1 - 1970 * 12, dtype=np.int64)


@dataclass(frozen=True)
class MarketPath:
    """Market mortgage rate (annual decimal) and house-price index by calendar month.

    ``mortgage_rate[k]`` and ``hpi[k]`` belong to month ``start + k`` (months
    since January 1970, :func:`month_index`).
    """

    start: int
    mortgage_rate: F
    hpi: F

    def __post_init__(self) -> None:
        if self.mortgage_rate.shape != self.hpi.shape or self.mortgage_rate.ndim != 1:
            raise ModelError("market path: mortgage_rate and hpi must be 1-d of the same length")
        if not (np.all(np.isfinite(self.mortgage_rate)) and np.all(self.hpi > 0)):
            raise ModelError("market path: rates must be finite and the HPI > 0")

    @property
    def end(self) -> int:
        """Last month covered (inclusive)."""
        return self.start + len(self.mortgage_rate) - 1

    def _pos(self, month: npt.ArrayLike, what: str) -> I:
        m = np.asarray(month, dtype=np.int64)
        if m.size and (m.min() < self.start or m.max() > self.end):
            raise ModelError(
                f"market path covers months {self.start}..{self.end}; {what} needs "
                f"{int(m.min())}..{int(m.max())} (the panel runs outside the rate/HPI series)"
            )
        return np.asarray(m - self.start)

    def rate_at(self, month: npt.ArrayLike) -> F:
        """Mortgage rate of calendar months ``month``."""
        return np.asarray(self.mortgage_rate[self._pos(month, "the mortgage rate")])

    def hpi_at(self, month: npt.ArrayLike) -> F:
        """HPI of calendar months ``month``."""
        return np.asarray(self.hpi[self._pos(month, "the HPI")])

    def to_frame(self) -> pd.DataFrame:
        """``period, mortgage_rate, hpi`` (period a month-start timestamp)."""
        months = np.arange(self.start, self.end + 1)
        period = pd.to_datetime({"year": 1970 + months // 12, "month": months % 12 + 1, "day": 1})
        return pd.DataFrame(
            {"period": period, "mortgage_rate": self.mortgage_rate, "hpi": self.hpi}
        )

    @classmethod
    def from_frame(cls, df: pd.DataFrame, *, source: str = "<market>") -> MarketPath:
        """Read ``period, mortgage_rate, hpi`` rows (consecutive months)."""
        for c in ("period", "mortgage_rate", "hpi"):
            if c not in df.columns:
                raise ModelError(f"{source}: market series needs column {c!r}")
        months = month_index(df["period"])
        order = np.argsort(months)
        months = months[order]
        if len(months) == 0 or np.any(np.diff(months) != 1):
            raise ModelError(f"{source}: market series must cover consecutive months")
        rate = df["mortgage_rate"].to_numpy(dtype=np.float64)[order]
        if np.nanmax(np.abs(rate)) > 1.0:
            raise ModelError(f"{source}: mortgage_rate must be an annual decimal (0.065)")
        return cls(int(months[0]), rate, df["hpi"].to_numpy(dtype=np.float64)[order])


@dataclass(frozen=True)
class LoanMonths:
    """A loan-month panel in columnar form (see the module docstring).

    Rows are sorted by loan, then period. ``loans`` has :data:`LOAN_COLUMNS`
    with LTV, CLTV, DTI and rates in percent, as the panel has them.
    """

    loans: pd.DataFrame
    loan_idx: npt.NDArray[np.int32]
    period: npt.NDArray[np.int32]
    loan_age: npt.NDArray[np.int32]
    upb: F
    status: npt.NDArray[np.int8]
    loss: F

    @property
    def n_rows(self) -> int:
        """Loan-month rows."""
        return int(self.loan_idx.shape[0])

    def prev_index(self) -> I:
        """Row of the same loan's previous month, or -1 (first row, or a gap in months)."""
        n = self.n_rows
        prev = np.full(n, -1, dtype=np.int64)
        if n > 1:
            same = (self.loan_idx[1:] == self.loan_idx[:-1]) & (
                self.period[1:] == self.period[:-1] + 1
            )
            prev[1:][same] = np.flatnonzero(same)
        return prev

    def to_panel(self) -> pd.DataFrame:
        """The panel frame of :mod:`trancheflow.tape.panel` (covariates repeated per row)."""
        from trancheflow.tape.panel import PANEL_COLUMNS, validate_panel

        li = self.loan_idx
        base = self.loans.iloc[li].reset_index(drop=True)
        status = np.asarray(STATUS_NAMES, dtype=object)[self.status]
        zbc = np.full(len(status), None, dtype=object)
        zbc[status == "prepaid"] = "01"
        zbc[status == "default"] = "03"
        zbc[status == "repurchased"] = "96"
        zbc[status == "note_sale"] = "15"
        months = self.period.astype(np.int64)
        period = pd.to_datetime({"year": 1970 + months // 12, "month": months % 12 + 1, "day": 1})
        df = base.assign(
            period=period.to_numpy(),
            loan_age=self.loan_age,
            upb=self.upb,
            note_rate=base["orig_rate"].to_numpy(),
            status=status,
            zero_balance_code=zbc,
            loss=self.loss,
        )
        return validate_panel(df[list(PANEL_COLUMNS)])


def from_panel(panel: pd.DataFrame, *, source: str = "<panel>") -> LoanMonths:
    """Columnar :class:`LoanMonths` from a panel frame (validated first)."""
    from trancheflow.tape.panel import validate_panel

    df = validate_panel(panel, source=source).sort_values(["loan_id", "period"], kind="stable")
    codes, uniq = pd.factorize(df["loan_id"], sort=False)
    first = np.r_[0, np.flatnonzero(np.diff(codes)) + 1] if len(codes) else np.zeros(0, int)
    loans = df.iloc[first][list(LOAN_COLUMNS)].reset_index(drop=True)
    loans["loan_id"] = np.asarray(uniq, dtype=object)
    status = np.asarray(df["status"].map(STATUS_CODES).to_numpy(dtype=np.int8), dtype=np.int8)
    return LoanMonths(
        loans=loans,
        loan_idx=codes.astype(np.int32),
        period=month_index(df["period"]).astype(np.int32),
        loan_age=df["loan_age"].to_numpy(dtype=np.int32),
        upb=df["upb"].to_numpy(dtype=np.float64),
        status=status,
        loss=df["loss"].to_numpy(dtype=np.float64),
    )


@dataclass(frozen=True)
class CategoryCodes:
    """Integer codes of the categorical features: categories sorted by name.

    Unknown categories (and missing values) get NaN, which the trees send down
    their learned missing-value branch.
    """

    levels: dict[str, tuple[str, ...]]

    @classmethod
    def fit(cls, loans: pd.DataFrame) -> CategoryCodes:
        """Levels seen in ``loans`` (the training panel's loan frame)."""
        return cls(
            {
                c: tuple(sorted(str(v) for v in loans[c].dropna().unique()))
                for c in CATEGORICAL
                if c in loans.columns
            }
        )

    def encode(self, name: str, values: pd.Series | npt.ArrayLike) -> F:
        """Codes ``0..k-1`` of ``values`` (NaN for unknown or missing)."""
        lv = self.levels.get(name, ())
        lookup = {v: float(i) for i, v in enumerate(lv)}
        s = pd.Series(np.asarray(values, dtype=object))
        return s.map(lambda v: lookup.get(str(v), np.nan) if v is not None else np.nan).to_numpy(
            dtype=np.float64
        )

    def as_dict(self) -> dict[str, list[str]]:
        """JSON-able form."""
        return {k: list(v) for k, v in self.levels.items()}


def loan_features(loans: pd.DataFrame, codes: CategoryCodes) -> dict[str, F]:
    """Per-loan (static) features, one value per loan."""
    upb = loans["orig_upb"].to_numpy(dtype=np.float64)
    out: dict[str, F] = {
        "fico": loans["fico"].to_numpy(dtype=np.float64),
        "dti": loans["dti"].to_numpy(dtype=np.float64),
        "log_balance": np.round(np.log(np.maximum(upb, 1.0)), 3),
        "note_rate": loans["orig_rate"].to_numpy(dtype=np.float64),
    }
    for c in CATEGORICAL:
        out[c] = codes.encode(c, loans[c]) if c in loans.columns else np.full(len(loans), np.nan)
    return out


def incentive_of(note_rate_pct: npt.ArrayLike, mortgage_rate: npt.ArrayLike) -> F:
    """Quantized refinancing incentive: note rate (percent) less the market rate (decimal), pp."""
    return quantize(
        np.asarray(note_rate_pct, dtype=np.float64) - 100.0 * np.asarray(mortgage_rate),
        INCENTIVE_STEP,
    )


def incentive_units(inc: npt.ArrayLike) -> I:
    """Positive incentive in whole :data:`INCENTIVE_STEP` units (burnout accumulates these)."""
    return np.asarray(
        np.rint(np.maximum(np.asarray(inc, dtype=np.float64), 0.0) / INCENTIVE_STEP), dtype=np.int64
    )


def burnout_of(units: npt.ArrayLike) -> F:
    """Burnout feature from accumulated incentive units: rounded half up to :data:`BURNOUT_STEP`.

    Integer arithmetic, so the simulator, the panel features and the kernels agree exactly.

    Examples
    --------
    >>> burnout_of(np.array([9, 10, 29, 30])).tolist()
    [0.0, 1.0, 1.0, 2.0]
    """
    k = round(BURNOUT_STEP / INCENTIVE_STEP)
    u = np.asarray(units, dtype=np.int64)
    return np.minimum(((u + k // 2) // k) * BURNOUT_STEP, BURNOUT_CAP).astype(np.float64)


def mtm_ltv_of(upb: npt.ArrayLike, orig_value: npt.ArrayLike, hpi_ratio: npt.ArrayLike) -> F:
    """Quantized mark-to-market LTV, percent."""
    value = np.asarray(orig_value, dtype=np.float64) * np.asarray(hpi_ratio, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        ltv = 100.0 * np.asarray(upb, dtype=np.float64) / value
    return quantize(np.clip(ltv, 0.0, 300.0), LTV_STEP)


def build_features(
    lm: LoanMonths, market: MarketPath, codes: CategoryCodes
) -> tuple[pd.DataFrame, npt.NDArray[np.bool_]]:
    """Features of every row's transition (module docstring) and the mask of rows that have one.

    A row has a transition when the same loan was observed the month before;
    ``status`` is then the previous month's status. Rows without one (a
    loan's first observed month) get features too but are masked out.

    Returns
    -------
    (pandas.DataFrame, ndarray of bool)
        Columns :data:`FEATURES` (float64), one row per panel row; the mask.
    """
    n = lm.n_rows
    prev = lm.prev_index()
    has = prev >= 0
    li = lm.loan_idx.astype(np.int64)
    per = lm.period.astype(np.int64)
    static = loan_features(lm.loans, codes)
    orig_upb = lm.loans["orig_upb"].to_numpy(dtype=np.float64)
    ltv0 = lm.loans["ltv"].to_numpy(dtype=np.float64)
    orig_value = orig_upb / np.where(ltv0 > 0, ltv0 / 100.0, np.nan)
    fp = month_index(lm.loans["first_payment"])
    orig_month = fp - 1
    hpi0 = market.hpi_at(np.clip(orig_month, market.start, market.end))
    upb_start = np.where(has, lm.upb[np.maximum(prev, 0)], orig_upb[li])
    inc = incentive_of(static["note_rate"][li], market.rate_at(per - 1))
    # burnout: positive incentive summed over the loan's earlier rows
    pos = np.where(has, incentive_units(inc), 0)
    csum = np.cumsum(pos) - pos  # exclusive prefix over all rows
    first_row = np.r_[True, li[1:] != li[:-1]] if n else np.zeros(0, bool)
    start_of_loan = np.maximum.accumulate(np.where(first_row, np.arange(n), 0)) if n else first_row
    burn = csum - csum[start_of_loan] if n else csum
    out: dict[str, F] = {
        "incentive": inc,
        "burnout": burnout_of(burn),
        "loan_age": lm.loan_age.astype(np.float64),
        "month_of_year": (per % 12 + 1).astype(np.float64),
        "mtm_ltv": mtm_ltv_of(upb_start, orig_value[li], market.hpi_at(per - 1) / hpi0[li]),
    }
    for k, v in static.items():
        out[k] = v[li]
    status_prev = np.where(has, lm.status[np.maximum(prev, 0)], 0).astype(np.float64)
    out["status"] = status_prev
    return pd.DataFrame({k: out[k] for k in FEATURES}), has
