"""A tranche's model value under credit-shock levels: collateral engine + float waterfall.

For each shock level (an annual default rate, ``CDR x``, with the deal's own
prepayment speed, severity, lag and advancing) the pool is projected with
:func:`~trancheflow.collateral.project_scenarios` and all levels run through
one vectorised :class:`~trancheflow.deal.waterfall.FloatWaterfall` (one path
per level), over the collateral's whole life so the value at month ``t``
counts every later cash flow.

The model price at month ``t`` (after that month's payment) is the present
value of the tranche's later interest and principal at a flat monthly yield
``y / 12``, per 100 of its current balance. At a fixed tranche's own coupon
and zero defaults it is 100 every month (the check in the tests); losses
written down to the tranche, or interest shortfalls, pull it below.

Examples
--------
>>> from trancheflow.deal.spec import load_spec
>>> spec = load_spec("examples/deals/example.yaml")
>>> m = model_paths(spec, "Z", [0.0, 20.0], n_months=36)
>>> m.price.shape
(2, 37)
>>> round(float(m.price[0, 12]), 6), bool(m.price[1, 36] < m.price[0, 36])
(100.0, True)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from trancheflow.deal.params import RATE_SCALE
from trancheflow.deal.spec import DealSpec
from trancheflow.errors import MarketError

__all__ = ["ModelPaths", "model_paths", "tranche_index"]

F = npt.NDArray[np.float64]


@dataclass(frozen=True)
class ModelPaths:
    """Per shock level ``k`` and month ``t = 0..n_months`` (0 = closing).

    ``factor`` is the tranche balance over its original face; ``price`` the
    model price per 100 of current face; ``interest``/``principal``/
    ``writedown`` are the month's amounts per unit of original face (0 at
    ``t = 0``). ``face`` is the original face in currency.
    """

    cdr: F
    factor: F
    price: F
    interest: F
    principal: F
    writedown: F
    face: float
    tranche: str
    discount_yield: float


def tranche_index(spec: DealSpec, tranche: str | None) -> int:
    """Index of ``tranche`` among the debt tranches (default: the most junior one)."""
    names = [t.name for t in spec.debt_tranches]
    if tranche is None:
        return len(names) - 1
    if tranche not in names:
        raise MarketError(f"tranche {tranche!r}: not a debt tranche of the deal ({names})")
    return names.index(tranche)


def model_paths(
    spec: DealSpec,
    tranche: str | None,
    cdr_levels: Sequence[float],
    *,
    n_months: int,
    discount_yield: float | None = None,
) -> ModelPaths:
    """Project every shock level and value the tranche month by month.

    Parameters
    ----------
    spec : DealSpec
    tranche : str or None
        A debt tranche (default the most junior).
    cdr_levels : sequence of float
        Annual default rates in percent (``CDR x``), one per level.
    n_months : int
        Months returned (the valuation still uses the collateral's whole life).
    discount_yield : float, optional
        Annual yield (decimal) the model discounts at; default the tranche's
        fixed coupon (required for a floating tranche).
    """
    from trancheflow.collateral import Assumptions, project_scenarios
    from trancheflow.deal.collections import Collections
    from trancheflow.deal.run import check_deal
    from trancheflow.deal.waterfall import FloatWaterfall

    j = tranche_index(spec, tranche)
    levels = np.asarray(cdr_levels, dtype=np.float64)
    if levels.ndim != 1 or levels.size == 0 or not np.all(np.isfinite(levels)):
        raise MarketError(f"cdr_levels {cdr_levels!r}: need a non-empty list of numbers")
    if np.any(levels < 0) or np.any(levels > 100):
        raise MarketError(f"cdr_levels {cdr_levels!r}: each must be within 0..100 (CDR percent)")
    pool, params, units = check_deal(spec)
    name = params.names[j]
    if discount_yield is None:
        if params.floating and params.floating[j] is not None:
            raise MarketError(f"tranche {name!r} floats: give discount_yield")
        discount_yield = params.coupons[j] / RATE_SCALE
    if not 0.0 <= discount_yield < 1.0:
        raise MarketError(f"discount_yield={discount_yield}: must be within 0..1 (decimal)")
    a = spec.assumptions
    scen = [
        Assumptions(
            a.prepay,
            f"CDR {x:g}",
            severity=a.severity,
            recovery_lag=a.recovery_lag,
            advance=a.advance,
        )
        for x in levels
    ]
    cube = project_scenarios(pool, scen)
    n_life = cube.shape[1]
    if n_months > n_life:
        raise MarketError(f"months={n_months}: above the collateral's life ({n_life})")
    us = float(10**params.decimals)
    r = FloatWaterfall(params).run(
        Collections.from_scenarios(cube),
        pool_balance=units / us,
        index_paths=dict(spec.indices),
    )
    face = params.tranche_balances[j] / us
    if face <= 0:
        raise MarketError(f"tranche {name!r}: zero face")
    cf = r.interest_paid[:, :, j] + r.principal_paid[:, :, j]
    disc = 1.0 / (1.0 + discount_yield / 12.0)
    value = np.zeros((levels.size, n_life + 1))
    for t in range(n_life - 1, -1, -1):
        value[:, t] = (value[:, t + 1] + cf[:, t]) * disc
    bal = np.concatenate([np.full((levels.size, 1), face), r.ending_balance[:, :, j]], axis=1)
    price = np.full_like(value, 100.0)
    live = bal > 1e-9 * face
    price[live] = 100.0 * value[live] / bal[live]
    for t in range(1, n_life + 1):  # a retired tranche keeps its last price
        price[:, t] = np.where(live[:, t], price[:, t], price[:, t - 1])
    m = n_months + 1

    def per_face(x: F) -> F:
        z = np.zeros((levels.size, m))
        z[:, 1:] = x[:, : m - 1, j] / face
        return z

    return ModelPaths(
        cdr=levels,
        factor=bal[:, :m] / face,
        price=price[:, :m],
        interest=per_face(r.interest_paid),
        principal=per_face(r.principal_paid),
        writedown=per_face(r.writedown),
        face=face,
        tranche=name,
        discount_yield=float(discount_yield),
    )
