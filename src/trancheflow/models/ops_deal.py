"""A deal's model monitoring: each finalized period, forecast vs realized and a re-price.

:class:`DealMonitor` follows one deal's loans with a trained
:class:`~trancheflow.models.model.HazardModel`. For each finalized period it
takes the period's attested loan records (:class:`~trancheflow.models.ops_loans.PeriodLoans`):

1. **forecast**: the model's monthly prepayment and default-start
   probabilities of every loan current at the start of the month (features
   as :func:`~trancheflow.models.features.build_features` computes them:
   incentive against the market mortgage rate of the month before, burnout
   over the months since closing at that flat rate, loan age, month of
   year, mark-to-market LTV), balance-weighted into an SMM and a default
   rate, annualized as CPR and CDR;
2. **realized**: :meth:`PeriodLoans.realized`;
3. **re-score and re-price**: the surviving loans (balance > 0 at the end)
   as a tape, aged by the period, valued with the model at a chosen OAS:
   every debt tranche by :func:`trancheflow.models.tranche_pricing.value_tranches`
   (from the tranches' current balances) and the pool by
   :func:`~trancheflow.models.pricing.ml_path_values` (per 100 of current face).

The market is a **flat** mortgage rate (the deal's monitoring has no rate
history; ``mortgage_rate``) and a flat HPI, stated in every record.

:func:`metric_rows` turns the records into ``deal_metrics`` rows
(kind ``"model"``, key ``"period"``; period 0 key ``"model"`` carries the model's
name and validation metrics).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from trancheflow.analytics.montecarlo import MonteCarloSettings
from trancheflow.analytics.oas import price_from_oas
from trancheflow.collateral.speeds import smm_to_cpr
from trancheflow.errors import ModelError
from trancheflow.rates import ZeroCurve

from .features import (
    FEATURES,
    MarketPath,
    burnout_of,
    incentive_of,
    incentive_units,
    loan_features,
    month_index,
    mtm_ltv_of,
)
from .model import HazardModel
from .ops_loans import PeriodLoans
from .pricing import CompiledModel, compile_model, loans_from_tape, ml_path_values

__all__ = ["DEMO_CURVE", "DealMonitor", "forecast_features", "metric_rows"]

F = npt.NDArray[np.float64]

#: ILLUSTRATIVE zero curve of the demo's monitoring (continuously compounded).
DEMO_CURVE = ZeroCurve([0.5, 1, 2, 5, 10, 30], [0.043, 0.042, 0.040, 0.040, 0.042, 0.045])


def forecast_features(
    loans: pd.DataFrame,
    codes: Any,
    market: MarketPath,
    month: int,
    *,
    upb_start: F,
    loan_age: npt.ArrayLike,
    burn_units: npt.ArrayLike,
    status: npt.ArrayLike,
) -> pd.DataFrame:
    """Features of each loan's transition in calendar ``month`` (as ``build_features``).

    ``upb_start`` and ``status`` are the balances and status codes at the
    end of the month before, ``loan_age`` the age at ``month`` and
    ``burn_units`` the incentive units accumulated over earlier months.
    """
    static = loan_features(loans, codes)
    n = len(loans)
    orig_upb = loans["orig_upb"].to_numpy(dtype=np.float64)
    ltv0 = loans["ltv"].to_numpy(dtype=np.float64)
    orig_value = orig_upb / np.where(ltv0 > 0, ltv0 / 100.0, np.nan)
    orig_month = month_index(loans["first_payment"]) - 1
    hpi0 = market.hpi_at(np.clip(orig_month, market.start, market.end))
    out: dict[str, Any] = {
        "incentive": incentive_of(static["note_rate"], np.full(n, market.rate_at(month - 1))),
        "burnout": burnout_of(burn_units),
        "loan_age": np.asarray(loan_age, dtype=np.float64),
        "month_of_year": np.full(n, month % 12 + 1, dtype=np.float64),
        "mtm_ltv": mtm_ltv_of(upb_start, orig_value, market.hpi_at(month - 1) / hpi0),
        **static,
        "status": np.asarray(status, dtype=np.float64),
    }
    return pd.DataFrame({k: out[k] for k in FEATURES})


@dataclass
class DealMonitor:
    """Forecast vs realized and re-pricing of one deal's loans (module docstring).

    Parameters
    ----------
    model : HazardModel
    spec : DealSpec
    tape : DataFrame
        The deal's closing tape (normalised; needs ``first_payment_date``).
    mortgage_rate : float
        Flat market mortgage rate (annual decimal) of the monitoring months.
    oas_bp : float
        OAS (basis points) the tranches and the pool are valued at.
    paths, seed : int
        Hull-White paths of each re-price and their seed.
    reprice_every : int
        Re-price every this many periods (forecast vs realized every period).
    curve : ZeroCurve
        Discount curve (default :data:`DEMO_CURVE`, illustrative).
    """

    model: HazardModel
    spec: Any
    tape: pd.DataFrame
    mortgage_rate: float
    oas_bp: float = 100.0
    paths: int = 32
    seed: int = 1
    reprice_every: int = 1
    curve: ZeroCurve = DEMO_CURVE
    records: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if "first_payment_date" not in self.tape.columns:
            raise ModelError("the deal's tape needs first_payment_date (the model's calendar)")
        self.loans = loans_from_tape(self.tape)
        fp = month_index(self.loans["first_payment"])
        age = self.tape["loan_age"].to_numpy(dtype=np.int64)
        self.closing_month = int(np.median(fp + age))
        self.age0 = self.closing_month - fp
        lo = int(fp.min()) - 2
        hi = self.closing_month + 480
        self.market = MarketPath(
            lo, np.full(hi - lo + 1, float(self.mortgage_rate)), np.ones(hi - lo + 1)
        )
        self.compiled: CompiledModel | None = None
        self.decimals = int(self.spec.currency.decimals)

    # ------------------------------------------------------------- one period
    def forecast(self, pl: PeriodLoans) -> dict[str, float]:
        """The model's balance-weighted monthly prepayment and default-start rates.

        With the flat market rate a loan's incentive is the same every month,
        so its burnout before period ``t`` is ``t - 1`` months of it: no state
        is carried between periods (the demo's and ``model monitor``'s
        forecasts of a period agree).
        """
        m = self.closing_month + pl.period
        cur = pl.current_at_start
        note = self.loans["orig_rate"].to_numpy(dtype=np.float64)
        inc = incentive_of(note, np.full(len(note), self.market.rate_at(m - 1)))
        X = forecast_features(
            self.loans,
            self.model.codes,
            self.market,
            m,
            upb_start=pl.begin / 10.0**self.decimals,
            loan_age=self.age0 + pl.period,
            burn_units=incentive_units(inc) * (pl.period - 1),
            status=np.where(pl.days_begin > 0, 1.0, 0.0),
        )
        w = pl.begin[cur].astype(np.float64)
        out = {}
        for risk in ("prepay", "default"):
            p = self.model.predict(risk, X.iloc[np.flatnonzero(cur)])
            out[risk] = float((w * p).sum() / w.sum()) if w.sum() > 0 else math.nan
        return out

    def surviving_tape(self, pl: PeriodLoans) -> pd.DataFrame:
        """The deal's tape at the end of the period: loans with a balance, aged by it."""
        alive = pl.alive_at_end
        if not alive.any():
            raise ModelError(f"period {pl.period}: no loan has a balance left")
        t = self.tape.loc[alive].copy()
        t["current_balance"] = pl.end[alive] / 10.0**self.decimals
        t["loan_age"] = t["loan_age"] + pl.period
        t["remaining_term"] = np.maximum(t["remaining_term"] - pl.period, 1)
        return t.reset_index(drop=True)

    def reprice(
        self, tape_now: pd.DataFrame, period: int, balances: Mapping[str, float] | None = None
    ) -> dict[str, Any]:
        """Pool and every debt tranche per 100 of current face at :attr:`oas_bp`.

        ``balances`` are the tranches' current balances (currency) after
        ``period`` periods (needed for ``period > 0``).
        """
        from .tranche_pricing import value_tranches

        if self.compiled is None:
            self.compiled = compile_model(self.model)
        settings = MonteCarloSettings(n_paths=self.paths, seed=self.seed)
        moy = (self.closing_month + period) % 12 + 1
        values = ml_path_values(
            tape_now, self.compiled, self.curve, settings, start_month_of_year=moy
        )
        price, se = price_from_oas(values, self.oas_bp / 1e4)
        out: dict[str, Any] = {"pool_value": float(price[0]), "pool_value_se": float(se[0])}
        tv = value_tranches(
            self.spec,
            tape_now,
            self.compiled,
            oas_bp=self.oas_bp,
            paths=self.paths,
            seed=self.seed,
            curve=self.curve,
            as_of_period=period,
            balances=dict(balances) if balances is not None else None,
            start_month_of_year=moy,
        )
        live = tv[np.isfinite(tv["value"].to_numpy(dtype=np.float64))]
        out["tranches"] = {str(r.tranche): float(r.value) for r in live.itertuples()}
        out["tranche_oas_bp"] = {str(r.tranche): float(r.oas_bp) for r in live.itertuples()}
        out["tranche_wal"] = {str(r.tranche): float(r.wal) for r in live.itertuples()}
        return out

    def update(
        self, pl: PeriodLoans, balances: Mapping[str, float] | None = None
    ) -> dict[str, Any]:
        """Forecast, realized and (re-price periods) values of one period, kept in ``records``."""
        fc = self.forecast(pl)
        rz = pl.realized()
        rec: dict[str, Any] = {
            "period": pl.period,
            "month": _name(self.closing_month + pl.period),
            "model": str(self.model.meta.get("name", "")),
            "source": pl.source,
            "fractional": pl.fractional,
            "loans_current": int(pl.current_at_start.sum()),
            "loans_alive": int(pl.alive_at_end.sum()),
            "balance": float(pl.end.sum()) / 10.0**self.decimals,
            "forecast_smm": fc["prepay"],
            "realized_smm": rz["prepay_smm"],
            "forecast_mdr": fc["default"],
            "realized_mdr": rz["default_mdr"],
            "forecast_cpr": 100.0 * float(smm_to_cpr(fc["prepay"])),
            "realized_cpr": 100.0 * float(smm_to_cpr(rz["prepay_smm"])),
            "forecast_cdr": 100.0 * float(smm_to_cpr(fc["default"])),
            "realized_cdr": 100.0 * float(smm_to_cpr(rz["default_mdr"])),
            "mortgage_rate": float(self.mortgage_rate),
            "oas_bp": float(self.oas_bp),
            "paths": int(self.paths),
        }
        if pl.period % max(self.reprice_every, 1) == 0 and pl.alive_at_end.any():
            rec.update(self.reprice(self.surviving_tape(pl), pl.period, balances))
        self.records.append(rec)
        return rec


def _name(m: int) -> str:
    return f"{1970 + m // 12:04d}-{m % 12 + 1:02d}"


def metric_rows(
    records: list[dict[str, Any]], meta: dict[str, Any] | None = None
) -> list[tuple[int, str, dict[str, Any]]]:
    """``deal_metrics`` rows (kind ``"model"``): one per period, and the model's at period 0."""
    rows: list[tuple[int, str, dict[str, Any]]] = []
    if meta is not None:
        rows.append((0, "model", _jsonable(meta)))
    for r in records:
        rows.append((int(r["period"]), "period", _jsonable(r)))
    return rows


def _jsonable(o: Any) -> Any:
    if isinstance(o, dict):
        return {str(k): _jsonable(v) for k, v in o.items()}
    if isinstance(o, list | tuple):
        return [_jsonable(v) for v in o]
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating | float):
        f = float(o)
        return f if math.isfinite(f) else None
    if isinstance(o, np.bool_):
        return bool(o)
    return o
