"""Pool cash flows to waterfall period inputs: the one mapping every execution uses.

The collateral engine (:mod:`trancheflow.collateral`) projects the BMA
standard-default columns; the waterfall reads a servicer report. The mapping:

======================  ==============================================================
waterfall input         collateral columns
======================  ==============================================================
``interest``            ``net_interest`` (note rate less servicing; includes the
                        advanced interest on defaulted loans when ``advance``)
``scheduled_principal`` ``actual_amortization + advanced_principal``: amortization
                        paid by performing loans plus, when the servicer advances,
                        the amortization due on loans in foreclosure. (This equals
                        ``scheduled_principal`` when advancing; without advancing the
                        defaulted amortization is not collected and stays in the
                        foreclosure balance.)
``prepayments``         ``voluntary_prepayment``
``recoveries``          ``recovery`` (liquidation proceeds)
``losses``              ``loss`` (realized principal loss)
``delinquent_60_plus``  ``foreclosure_balance`` (defaulted, not yet liquidated; the
                        collateral model has no separate 60-day bucket)
======================  ==============================================================

With this mapping ``P0 - scheduled - prepayments - recoveries - losses`` is the
collateral's ``ending_balance`` every period, so the waterfall's pool balance
tracks the collateral exactly (float) or to within rounding (exact).

Examples
--------
>>> import pandas as pd
>>> cf = pd.DataFrame({"net_interest": [6.25], "actual_amortization": [1.0],
...     "advanced_principal": [0.5], "voluntary_prepayment": [2.0], "recovery": [0.0],
...     "loss": [0.0], "foreclosure_balance": [3.0]})
>>> c = Collections.from_frame(cf)
>>> float(c.scheduled_principal[0]), float(c.cash[0])
(1.5, 9.75)
>>> [i.interest for i in c.to_exact(decimals=2, pool_balance_units=100_000)]
[625]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from trancheflow.deal.exact import PeriodInput
from trancheflow.errors import WaterfallError
from trancheflow.units import to_units_array

__all__ = ["FIELDS", "Collections"]

#: Waterfall input fields, in PeriodInput order.
FIELDS = (
    "interest",
    "scheduled_principal",
    "prepayments",
    "recoveries",
    "losses",
    "delinquent_60_plus",
)

FloatArray = npt.NDArray[np.float64]


def _col(get: object, name: str) -> FloatArray:
    return np.asarray(get(name), dtype=np.float64)  # type: ignore[operator]


@dataclass(frozen=True)
class Collections:
    """Waterfall inputs as float arrays, shape ``(n_periods,)`` or ``(n_paths, n_periods)``."""

    interest: FloatArray
    scheduled_principal: FloatArray
    prepayments: FloatArray
    recoveries: FloatArray
    losses: FloatArray
    delinquent_60_plus: FloatArray

    # ----------------------------------------------------------- builders
    @classmethod
    def _from_getter(cls, get: object) -> Collections:
        return cls(
            interest=_col(get, "net_interest"),
            scheduled_principal=_col(get, "actual_amortization") + _col(get, "advanced_principal"),
            prepayments=_col(get, "voluntary_prepayment"),
            recoveries=_col(get, "recovery"),
            losses=_col(get, "loss"),
            delinquent_60_plus=_col(get, "foreclosure_balance"),
        )

    @classmethod
    def from_frame(cls, cf: pd.DataFrame) -> Collections:
        """From :func:`~trancheflow.collateral.project_pool` output (one scenario)."""
        missing = [
            c
            for c in (
                "net_interest",
                "actual_amortization",
                "advanced_principal",
                "voluntary_prepayment",
                "recovery",
                "loss",
                "foreclosure_balance",
            )
            if c not in cf.columns
        ]
        if missing:
            raise WaterfallError(f"pool cash flows lack column(s) {', '.join(missing)}")
        return cls._from_getter(lambda name: cf[name].to_numpy())

    @classmethod
    def from_scenarios(cls, cube: np.ndarray, columns: Sequence[str] | None = None) -> Collections:
        """From :func:`~trancheflow.collateral.project_scenarios` output
        ``(n_scenarios, n_periods, n_columns)``; arrays are ``(n_scenarios, n_periods)``."""
        if columns is None:
            from trancheflow.collateral import CASHFLOW_COLUMNS

            columns = CASHFLOW_COLUMNS
        idx = {c: k for k, c in enumerate(columns)}
        return cls._from_getter(lambda name: cube[..., idx[name]])

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, npt.ArrayLike]) -> Collections:
        """From arrays named by :data:`FIELDS` (missing ``delinquent_60_plus`` is 0)."""
        base = np.asarray(arrays["interest"], dtype=np.float64)
        return cls(
            **{
                f: np.asarray(arrays[f], dtype=np.float64) if f in arrays else np.zeros_like(base)
                for f in FIELDS
            }
        )

    # ----------------------------------------------------------- views
    @property
    def n_periods(self) -> int:
        """Number of periods (last axis)."""
        return int(self.interest.shape[-1])

    @property
    def cash(self) -> FloatArray:
        """Cash deposited per period."""
        return self.interest + self.scheduled_principal + self.prepayments + self.recoveries

    def path(self, k: int) -> Collections:
        """Scenario ``k`` of a 2-D collection."""
        return Collections(**{f: getattr(self, f)[k] for f in FIELDS})

    def to_exact(self, decimals: int, pool_balance_units: int) -> list[PeriodInput]:
        """Integer period inputs in token units (one scenario).

        Each column is converted through its cumulative sum by
        :func:`trancheflow.units.to_units` (exact decimal, rounded down), so the
        totals stay within one unit of the float totals; the principal lines
        and losses never take more than the remaining pool balance, and in the
        last period whatever units the pool still holds are paid as scheduled
        principal so the pool ends at exactly zero when the collateral does.
        """
        if self.interest.ndim != 1:
            raise WaterfallError("to_exact converts one scenario; use .path(k) first")
        scale = 10**decimals
        cols: dict[str, list[int]] = {}
        for f in FIELDS:
            v = getattr(self, f)
            if f == "delinquent_60_plus":
                cols[f] = to_units_array(v, decimals)
                continue
            cum = to_units_array(np.cumsum(v), decimals)
            cols[f] = [c - p for c, p in zip(cum, [0, *cum[:-1]], strict=True)]
        out = []
        pool = int(pool_balance_units)
        float_pool_left = float(
            self.scheduled_principal.sum()
            + self.prepayments.sum()
            + self.recoveries.sum()
            + self.losses.sum()
        )
        n = self.n_periods
        for t in range(n):
            vals = {f: max(0, int(cols[f][t])) for f in FIELDS}
            for f in ("losses", "recoveries", "prepayments", "scheduled_principal"):
                others = sum(
                    vals[g]
                    for g in ("scheduled_principal", "prepayments", "recoveries", "losses")
                    if g != f
                )
                vals[f] = min(vals[f], max(0, pool - others))
            if t == n - 1 and float_pool_left * scale >= pool_balance_units - 0.5 * scale:
                taken = (
                    vals["scheduled_principal"]
                    + vals["prepayments"]
                    + vals["recoveries"]
                    + vals["losses"]
                )
                vals["scheduled_principal"] += pool - taken
            pool -= (
                vals["scheduled_principal"]
                + vals["prepayments"]
                + vals["recoveries"]
                + vals["losses"]
            )
            out.append(
                PeriodInput(
                    vals["interest"],
                    vals["scheduled_principal"],
                    vals["prepayments"],
                    vals["recoveries"],
                    vals["losses"],
                    vals["delinquent_60_plus"],
                )
            )
        return out
