"""Fit the rate-driven prepayment model's defaults to published figures and print the residuals.

Targets (see ``trancheflow.collateral.prepay_model`` for the citations):

* the Richard-Roll refinancing-incentive function
  ``RI = 0.28 + 0.14 * arctan(-8.57 + 430 * (WAC - r10))`` on incentives
  ``WAC - mortgage rate`` from -300bp to +400bp (step 25bp), with the mortgage
  rate at ``r10 + 1.7%`` (this project's ``MortgageRateModel`` default);
* the PSA ramp (0.2% CPR a month to 6% at month 30) for turnover/seasoning,
  200bp out of the money;
* the published month-of-year multipliers, scaled to average 1.

Run: ``.venv/bin/python examples/models/calibrate.py`` (a second or two). The
residual table is copied into ``prepay_default.yaml``.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import least_squares

from trancheflow.collateral.prepay_model import PUBLISHED_SEASONALITY, RefiPrepayModel

SPREAD_10Y = 0.017
INCENTIVE_PP = np.arange(-3.0, 4.0001, 0.25)


def published_ri(incentive_pp: np.ndarray) -> np.ndarray:
    """Published RI at a WAC - mortgage rate incentive (percentage points)."""
    wac_minus_r10 = incentive_pp / 100.0 + SPREAD_10Y
    return 0.28 + 0.14 * np.arctan(-8.57 + 430.0 * wac_minus_r10)


def fit(shape: str) -> tuple[RefiPrepayModel, np.ndarray]:
    """Least-squares fit of (turnover, height, midpoint, slope) to the published RI."""
    target = published_ri(INCENTIVE_PP)

    def resid(x: np.ndarray) -> np.ndarray:
        m = RefiPrepayModel(
            turnover_cpr=x[0],
            refi_max_cpr=x[1],
            midpoint=x[2],
            slope=x[3],
            s_curve=shape,  # type: ignore[arg-type]
        )
        return np.asarray(m.refi_cpr(INCENTIVE_PP) - target)

    sol = least_squares(resid, [0.06, 0.44, 0.3, 4.0], bounds=([0, 0, -5, 0.01], [1, 1, 5, 50]))
    x = sol.x
    m = RefiPrepayModel(
        turnover_cpr=float(x[0]), refi_max_cpr=float(x[1]), midpoint=float(x[2]), slope=float(x[3]),
        s_curve=shape,  # type: ignore[arg-type]
    )  # fmt: skip
    return m, resid(x)


def main() -> None:
    default = RefiPrepayModel()
    target = published_ri(INCENTIVE_PP)
    print("S-curve: published RI vs the default model (seasoned, no burnout, seasonality 1)")
    print(f"{'incentive bp':>12} {'published':>10} {'default':>10} {'residual':>10}")
    res_default = default.refi_cpr(INCENTIVE_PP) - target
    for i, pp in enumerate(INCENTIVE_PP):
        if i % 2 == 0:
            print(f"{100 * pp:12.0f} {target[i]:10.4f} {target[i] + res_default[i]:10.4f} "
                  f"{res_default[i]:10.2e}")  # fmt: skip
    print(f"default (arctan) max |residual| {np.abs(res_default).max():.2e} CPR")
    for shape in ("arctan", "logistic"):
        m, r = fit(shape)
        print(
            f"fit {shape:8s}: turnover {m.turnover_cpr:.5f} height {m.refi_max_cpr:.5f} "
            f"midpoint {m.midpoint:.5f} slope {m.slope:.4f}; max |residual| "
            f"{np.abs(r).max():.2e}, rms {np.sqrt(np.mean(r**2)):.2e} CPR"
        )
    ages = np.arange(1, 61)
    psa = 0.06 * np.minimum(ages / 30.0, 1.0)
    deep = default.cpr(0.05, 0.07, ages)  # 200bp out of the money
    ramp_res = deep / deep[-1] * 0.06 - psa
    level_res = float(deep[-1]) - 0.06
    print(f"PSA ramp shape: max |residual| {np.abs(ramp_res).max():.2e} CPR; seasoned level "
          f"{float(deep[-1]):.4f} vs PSA 0.06 (residual {level_res:+.4f})")  # fmt: skip
    pub = np.asarray(PUBLISHED_SEASONALITY)
    season_res = np.asarray(default.seasonality) - pub
    print(f"seasonality: max |default - published| {np.abs(season_res).max():.4f} "
          f"(published mean {pub.mean():.5f} scaled to 1)")  # fmt: skip


if __name__ == "__main__":
    main()
