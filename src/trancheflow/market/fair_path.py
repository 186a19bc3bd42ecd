"""The model's fair value of a tranche period by period, cheaply (issue 11).

:func:`trancheflow.market.fair.fair_value` prices a tranche by Monte Carlo
OAS from the spec's cut-off. A market run needs that figure every month, and
a Monte Carlo run per month and tranche is too slow for the demo, so
:func:`fair_value_path` prices once and rolls forward:

1. at closing, Monte Carlo OAS at ``oas_bp`` gives the price, and its
   Z-spread (the spread that prices the zero-volatility projection to the
   same price, so ``Z = OAS + option cost``);
2. the deterministic projection of the tranche at the spec's base speeds
   (:func:`trancheflow.deal.run.run_deal`) is discounted at the zero curve
   plus that Z-spread from every later payment date: the fair value after
   period ``k`` is ``100 * PV_k(flows after k) / balance after k``, per 100
   of current face, ex the period's distribution (a clean price on a
   payment date).

So the OAS and the option cost are held at their closing values and the
curve is held static (rolled, not re-marked): the path shows how the
model's value moves as the tranche pays down, not a re-pricing on new
market data. Period 0 reproduces the Monte Carlo price (the deterministic
flows are the zero-volatility flows); ``tests/unit/ops/test_demo_market.py``
checks it.

Examples
--------
>>> import numpy as np
>>> from trancheflow.rates import ZeroCurve
>>> flows = np.array([5.0, 5.0, 105.0])          # three monthly payments
>>> bal = np.array([100.0, 100.0, 100.0, 0.0])   # balance before/after each
>>> p = clean_prices(flows, bal, ZeroCurve([30.0], [0.0]), spread=0.0)
>>> [round(float(x), 4) for x in p]
[115.0, 110.0, 105.0, 0.0]
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from trancheflow.errors import MarketError

#: Illustrative Treasury curve shipped with the examples (not market data).
SAMPLE_CURVE = Path(__file__).resolve().parents[3] / "examples" / "curves" / "treasury_sample.csv"

F = npt.NDArray[np.float64]


@dataclass(frozen=True)
class FairPath:
    """Model value of one tranche after each period (per 100 of current face).

    ``prices[k]`` is the value after period ``k`` (``prices[0]`` at closing);
    ``mc_price``/``mc_se`` the closing Monte Carlo price and its standard
    error; ``zspread`` = ``oas + option_cost`` (decimals).
    """

    tranche: str
    oas_bp: float
    option_cost_bp: float
    zspread: float
    mc_price: float
    mc_se: float
    paths: int
    prices: F

    def at(self, period: int) -> float:
        """Value after ``period`` (the last projected one beyond the horizon)."""
        if period < 0:
            raise MarketError(f"period {period}: must be >= 0")
        return float(self.prices[min(period, len(self.prices) - 1)])


def clean_prices(flows: F, balances: F, curve: Any, *, spread: float, delay_days: int = 0) -> F:
    """Price per 100 of balance after each period of a projected flow vector.

    Parameters
    ----------
    flows : array (T,)
        Interest + principal paid in periods 1..T.
    balances : array (T + 1,)
        Balance before period 1, then after each period.
    curve : ZeroCurve
        Discount curve (held static: the same curve from every date).
    spread : float
        Continuously compounded spread over the curve (decimal).
    delay_days : int
        Payment delay (receipt at ``j/12 + delay/360`` years for ``j`` months ahead).

    Returns
    -------
    array (T + 1,)
        ``100 * PV / balance`` after each period; 0 where the balance is 0.
    """
    n = len(flows)
    if len(balances) != n + 1:
        raise MarketError(f"balances: need {n + 1} values for {n} flows, got {len(balances)}")
    j = np.arange(1, n + 1, dtype=np.float64)
    tau = j / 12.0 + delay_days / 360.0
    disc = np.asarray(curve.discount(tau), dtype=np.float64) * np.exp(-spread * tau)
    out = np.zeros(n + 1)
    for k in range(n + 1):
        rest = flows[k:]
        if balances[k] <= 0 or rest.size == 0:
            continue
        out[k] = 100.0 * float(rest @ disc[: rest.size]) / float(balances[k])
    return out


def fair_value_path(
    spec: Any,
    tranches: list[str],
    *,
    curve: Any = None,
    oas_bp: float = 100.0,
    paths: int = 64,
    seed: int = 1,
) -> dict[str, FairPath]:
    """:class:`FairPath` of each of ``tranches`` of ``spec`` (see the module notes).

    Parameters
    ----------
    spec : DealSpec
        The deal (its collateral, base assumptions and waterfall).
    tranches : list of str
        Debt tranche names.
    curve : ZeroCurve, optional
        Default: the illustrative sample Treasury curve (:data:`SAMPLE_CURVE`).
    oas_bp : float
        OAS of the Monte Carlo price at closing (basis points).
    paths : int
        Monte Carlo paths at closing (in process, one worker).
    seed : int
        Seed of the rate paths.

    Raises
    ------
    MarketError
        An unknown tranche, too few paths, or a tranche the model cannot price.
    """
    from trancheflow.analytics.montecarlo import MonteCarloSettings, deal_security
    from trancheflow.analytics.oas import oas_analysis
    from trancheflow.deal.run import run_deal
    from trancheflow.rates import read_curve_csv

    if paths < 2:
        raise MarketError(f"paths={paths}: need at least 2")
    names = [t.name for t in spec.debt_tranches]
    for t in tranches:
        if t not in names:
            raise MarketError(f"tranche {t!r}: not a debt tranche of {spec.deal} ({names})")
    if curve is None:
        curve = read_curve_csv(SAMPLE_CURVE)
    delay = int(getattr(spec, "delay_days", 0) or 0)
    settings = MonteCarloSettings(n_paths=paths, seed=seed, workers=1, delay_days=delay)
    mc = {r.name: r for r in oas_analysis(deal_security(spec), curve, settings, oas=oas_bp / 1e4)}
    flows = run_deal(spec, mode="float").flows
    out: dict[str, FairPath] = {}
    for name in tranches:
        r = mc[name]
        if not np.isfinite(r.price) or not np.isfinite(r.zspread):
            raise MarketError(f"tranche {name!r}: the model gives no price")
        j = names.index(name)
        cf = flows.interest_paid[0, :, j] + flows.principal_paid[0, :, j]
        bal = np.concatenate([[flows.beginning_balance[0, 0, j]], flows.ending_balance[0, :, j]])
        prices = clean_prices(cf, bal, curve, spread=float(r.zspread), delay_days=delay)
        out[name] = FairPath(
            tranche=name,
            oas_bp=oas_bp,
            option_cost_bp=float(r.option_cost) * 1e4,
            zspread=float(r.zspread),
            mc_price=float(r.price),
            mc_se=float(r.price_se),
            paths=paths,
            prices=prices,
        )
    return out
