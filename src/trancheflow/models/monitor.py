"""Each finalized period: forecast versus realized rates, and the surviving pool re-priced.

When a period's loan-level performance lands (the servicer's file behind the
period's Merkle root, as panel rows), :func:`period_performance` compares
what the model forecast for that month with what happened, balance-weighted
as a desk reads speeds:

* prepayment: forecast SMM ``Σ upb·p / Σ upb`` over the loans current at the
  start of the month, against the realized SMM (balance of loans that paid off
  over the balance at risk), both also as CPR;
* default start (current → 30 days) and cure, the same way.

:func:`rescore_and_reprice` then builds the tape of the loans still alive
at the end of the period (their UPB, age and covariates from the panel),
values it on Hull-White paths with the model (:mod:`trancheflow.models.pricing`)
and returns the OAS at a market price, or the price at a chosen OAS.

Examples
--------
>>> from trancheflow.models.simulate import simulate_panel
>>> from trancheflow.models.train import train_hazard_model
>>> sim = simulate_panel(800, seed=2)
>>> m = train_hazard_model(sim.panel, sim.market, split="2020-01", rounds=10)
>>> h = performance_history(m, sim.panel, sim.market, first="2020-01", last="2020-03")
>>> list(h["period"])
['2020-01', '2020-02', '2020-03']
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from trancheflow.analytics.montecarlo import MonteCarloSettings
from trancheflow.analytics.oas import oas_from_price, price_from_oas
from trancheflow.collateral.speeds import smm_to_cpr
from trancheflow.errors import ModelError
from trancheflow.rates import ZeroCurve

from .features import STATUS_CODES, LoanMonths, MarketPath, build_features, month_index
from .hazard import RISK_SPECS
from .model import HazardModel
from .pricing import CompiledModel, ml_path_values

__all__ = [
    "Repricing",
    "performance_history",
    "period_performance",
    "rescore_and_reprice",
    "surviving_tape",
]

F = npt.NDArray[np.float64]


def _month(m: str | int) -> int:
    return m if isinstance(m, int) else int(month_index([m + "-01" if len(m) == 7 else m])[0])


def _name(m: int) -> str:
    return f"{1970 + m // 12:04d}-{m % 12 + 1:02d}"


def _history(
    model: HazardModel, lm: LoanMonths, market: MarketPath, months: list[int]
) -> pd.DataFrame:
    X, has = build_features(lm, market, model.codes)
    prev = lm.prev_index()
    sp = np.where(has, lm.status[np.maximum(prev, 0)], -1)
    upb0 = np.where(has, lm.upb[np.maximum(prev, 0)], np.nan)
    rows = []
    probs = {r: model.predict(r, X) for r in model.boosters}
    for m in months:
        in_m = has & (lm.period == m)
        rec: dict[str, object] = {"period": _name(m)}
        for risk, p in probs.items():
            spec = RISK_SPECS[risk]
            at = in_m & np.isin(sp, spec.at_risk)
            w = upb0[at]
            ev = np.isin(lm.status[at], spec.event)
            tot = float(w.sum())
            rec[f"{risk}_loans"] = int(at.sum())
            rec[f"{risk}_forecast"] = float((w * p[at]).sum() / tot) if tot > 0 else np.nan
            rec[f"{risk}_realized"] = float(w[ev].sum() / tot) if tot > 0 else np.nan
        for k in ("forecast", "realized"):
            rec[f"prepay_cpr_{k}"] = float(smm_to_cpr(np.asarray(rec[f"prepay_{k}"])))
        rows.append(rec)
    return pd.DataFrame(rows)


def period_performance(
    model: HazardModel, lm: LoanMonths, market: MarketPath, period: str | int
) -> dict[str, object]:
    """Forecast versus realized monthly rates (balance-weighted) of one finalized month."""
    m = _month(period)
    if not np.any(lm.period == m):
        raise ModelError(f"the panel has no rows in {_name(m)}")
    return dict(_history(model, lm, market, [m]).iloc[0])


def performance_history(
    model: HazardModel,
    lm: LoanMonths,
    market: MarketPath,
    *,
    first: str | int | None = None,
    last: str | int | None = None,
) -> pd.DataFrame:
    """:func:`period_performance` for every month from ``first`` to ``last`` (one row each)."""
    lo = _month(first) if first is not None else int(lm.period.min()) + 1
    hi = _month(last) if last is not None else int(lm.period.max())
    if hi < lo:
        raise ModelError(f"last month {_name(hi)} is before the first {_name(lo)}")
    return _history(model, lm, market, list(range(lo, hi + 1)))


def surviving_tape(
    lm: LoanMonths, period: str | int, *, servicing_fee: float = 0.0025
) -> pd.DataFrame:
    """Tape of the loans alive at the end of ``period`` (not prepaid/defaulted, UPB > 0).

    The panel has no servicing strip: ``servicing_fee`` (annual decimal) is
    applied to every loan.
    """
    m = _month(period)
    at = (lm.period == m) & (lm.status < STATUS_CODES["prepaid"]) & (lm.upb > 0)
    if not at.any():
        raise ModelError(f"no loans alive at the end of {_name(m)}")
    li = lm.loan_idx[at]
    loans = lm.loans.iloc[li].reset_index(drop=True)
    age = lm.loan_age[at].astype(np.int64)
    term = loans["orig_term"].to_numpy(dtype=np.int64)
    return pd.DataFrame(
        {
            "loan_id": loans["loan_id"].astype(str).to_numpy(),
            "original_balance": loans["orig_upb"].to_numpy(dtype=np.float64),
            "current_balance": lm.upb[at],
            "note_rate": loans["orig_rate"].to_numpy(dtype=np.float64) / 100.0,
            "servicing_fee": np.full(int(at.sum()), servicing_fee),
            "original_term": term,
            "loan_age": age,
            "remaining_term": np.maximum(term - age, 1),
            "ltv": loans["ltv"].to_numpy(dtype=np.float64) / 100.0,
            "dti": loans["dti"].to_numpy(dtype=np.float64) / 100.0,
            "fico": loans["fico"].to_numpy(dtype=np.float64),
            "occupancy": loans["occupancy"].to_numpy(),
            "purpose": loans["purpose"].to_numpy(),
            "channel": loans["channel"].to_numpy(),
            "property_type": loans["property_type"].to_numpy(),
            "state": loans["state"].to_numpy(),
            "amortization_type": "level_pay",
        }
    )


@dataclass(frozen=True)
class Repricing:
    """One period's re-score and re-price of the surviving pool."""

    period: str
    performance: dict[str, object]
    loans: int
    balance: float
    oas: float
    price: float
    price_se: float


def rescore_and_reprice(
    model: HazardModel | CompiledModel,
    lm: LoanMonths,
    market: MarketPath,
    period: str | int,
    curve: ZeroCurve,
    settings: MonteCarloSettings,
    *,
    price: float | None = None,
    oas: float | None = None,
    hpa: float = 0.0,
) -> Repricing:
    """Forecast vs realized for ``period``, then the OAS at ``price`` or the price at ``oas``.

    The HPI of the pool's property values is taken as flat from origination
    (the tape carries original values; ``hpa`` grows them from now on).
    """
    if (price is None) == (oas is None):
        raise ModelError("give exactly one of price (full, % of face) and oas (decimal)")
    hm = model.model if isinstance(model, CompiledModel) else model
    m = _month(period)
    perf = period_performance(hm, lm, market, m)
    tape = surviving_tape(lm, m)
    values = ml_path_values(
        tape, model, curve, settings, start_month_of_year=(m + 1) % 12 + 1, hpa=hpa
    )
    if price is not None:
        o = float(oas_from_price(values, price)[0])
        p, se = price_from_oas(values, o)
    else:
        o = float(oas)  # type: ignore[arg-type]
        p, se = price_from_oas(values, o)
    return Repricing(
        _name(m),
        perf,
        len(tape),
        float(tape["current_balance"].sum()),
        o,
        float(p[0]),
        float(se[0]),
    )
