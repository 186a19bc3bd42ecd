"""SIMULATION/DEMO: servicer reports projected by the collateral model, in units.

A real deal reports what its servicer collected, from loan-level remittance
files (:mod:`trancheflow.servicer`, ``trancheflow servicer report``). This
module is the stand-in for demos, tests and rehearsals.

:class:`ServicerFeed` projects a deal's collateral with the spec's
assumptions (:func:`~trancheflow.collateral.project_pool`), converts the pool
cash flows to exact integer period inputs
(:meth:`~trancheflow.deal.collections.Collections.to_exact`, the same inputs
:class:`~trancheflow.deal.exact.ExactWaterfall` takes) and dresses each period
as a :class:`~trancheflow.chain.reports.ServicerReport`:

* collections (interest, scheduled principal, prepayments, recoveries) and
  realized losses are the period input's integers, unchanged;
* delinquency buckets split the projection's 60+ population (the
  foreclosure pipeline, ``foreclosure_balance``, which is what the on-chain
  ``delinquency_60_pct`` trigger reads) by default vintage: the vintage that
  stopped paying this month is reported 60-89 days, the previous one 90+, older
  ones in foreclosure and the vintage due to liquidate next month as REO;
  each vintage weighs its ``new_defaults``, and the integer split is by
  largest remainder so ``dq60 + dq90 + foreclosure + REO`` equals the period
  input's ``delinquent_60_plus`` exactly. The 30-59 bucket is next month's
  expected new defaults (loans one payment late now). Counts are loan
  equivalents: ``ceil(balance / average loan)``;
* the loan-level Merkle root commits to every loan's expected end-of-period
  balance in units (each loan projected alone; the loans add up to the pool)
  with the project's one loan-level leaf, the status leaf
  :func:`~trancheflow.chain.merkle.loan_leaf` ``(loan_id, units,
  days_delinquent)`` in tape order; rep lines are loans ``line-0``,
  ``line-1``... An expected balance has no delinquency of its own (the
  model's delinquency is pool-level, in the buckets above), so every loan
  carries 0 days: the feed's roots can prove balances, and an LTV mark,
  never a 90+ day delinquency (rehearse liquidations from remittance files).
  The closing tape root (:attr:`ServicerFeed.tape_root`) uses the closing
  balances at 0 days, as :func:`tape_root` does.

Examples
--------
>>> from trancheflow.deal import DealSpec
>>> spec = DealSpec.model_validate({
...     "deal": "DOC-SRV",
...     "collateral": {"rep_lines": [{"balance": 1000, "gross_rate": 0.07,
...                                   "net_rate": 0.065, "term": 24, "wam": 24}]},
...     "assumptions": {"prepay": "CPR 6", "default": "CDR 2", "recovery_lag": 3},
...     "tranches": [{"name": "A", "balance": 800, "coupon": 0.05},
...                  {"name": "R", "residual": True}]})
>>> feed = ServicerFeed(spec)
>>> r = feed.report(5)
>>> inp = feed.period_input(5)
>>> r.cash == inp.cash and r.losses == inp.losses
True
>>> r.delinquent_60_plus == inp.delinquent_60_plus > 0
True
>>> feed.pool_balance_units, len(feed.loan_ids), feed.tape_root == tape_root(spec)
(1000000000, 1, True)
"""

from __future__ import annotations

import math
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from trancheflow.chain.merkle import loan_leaf, merkle_proof, merkle_root
from trancheflow.chain.reports import ServicerReport
from trancheflow.errors import ChainError
from trancheflow.units import to_units, to_units_array

__all__ = ["ServicerFeed", "closing_leaves", "split_units", "tape_root"]


def split_units(total: int, weights: list[float]) -> list[int]:
    """Split ``total`` units in proportion to ``weights`` (largest remainder, exact sum).

    Zero or empty weights put everything in the first part.

    >>> split_units(10, [1, 1, 1])
    [4, 3, 3]
    >>> split_units(7, [0, 0])
    [7, 0]
    """
    if total < 0:
        raise ChainError(f"cannot split a negative amount {total}")
    w = [max(0.0, float(x)) for x in weights]
    s = sum(w)
    if not w:
        return []
    if s <= 0:
        return [total] + [0] * (len(w) - 1)
    exact = [total * x / s for x in w]
    parts = [math.floor(e) for e in exact]
    order = sorted(range(len(w)), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return parts


def closing_leaves(spec: Any, pool: Any = None) -> list[bytes]:
    """Merkle leaves of the closing tape: ``loan_leaf(loan_id, units, 0)``.

    The closing book commits to balances at 0 days delinquent: the deal buys
    its loans at closing, and ``Liquidation`` proves loans against
    ``TAPE_ROOT`` until period 1 is finalized, so the tape uses the same leaf
    as every period root (a tape's own delinquency status is not committed).

    ``units`` is each loan's balance by :func:`trancheflow.units.to_units`
    (:func:`~trancheflow.deal.run.loan_units`), so the leaves sum to the
    deal's pool balance in units.
    """
    from trancheflow.deal.run import collateral_pool, loan_units

    pool = collateral_pool(spec) if pool is None else pool
    if isinstance(pool, pd.DataFrame):
        ids = [str(x) for x in pool["loan_id"]]
    else:
        ids = [f"line-{i}" for i in range(len(pool))]
    return [loan_leaf(i, u, 0) for i, u in zip(ids, loan_units(spec, pool), strict=True)]


def tape_root(spec: Any, pool: Any = None) -> bytes:
    """The deal's ``TAPE_ROOT``: Merkle root of :func:`closing_leaves` (no projection)."""
    return merkle_root(closing_leaves(spec, pool))


class ServicerFeed:
    """SIMULATED servicer of one deal: each period's report from the model's projection
    (demos and tests; real reports come from remittance files, :mod:`trancheflow.servicer`).

    Parameters
    ----------
    spec : DealSpec
        The deal (its collateral, assumptions and currency).
    pool : DataFrame or sequence of RepLine, optional
        The collateral; defaults to the spec's (``collateral_pool(spec)``).
    assumptions : Assumptions, optional
        Overrides the spec's prepayment/default assumptions.
    avg_loan : float, optional
        Average loan size (currency) for bucket counts; defaults to the tape's
        average, or 250,000 for rep lines.
    """

    def __init__(
        self,
        spec: Any,
        pool: Any = None,
        *,
        assumptions: Any = None,
        avg_loan: float | None = None,
    ) -> None:
        from trancheflow.collateral import Assumptions, project_pool
        from trancheflow.deal.collections import Collections
        from trancheflow.deal.run import collateral_pool, loan_units

        self.spec = spec
        self.pool = collateral_pool(spec) if pool is None else pool
        self.decimals = int(spec.currency.decimals)
        self.scale = 10**self.decimals
        if assumptions is None:
            a = spec.assumptions
            assumptions = Assumptions(
                a.prepay,
                a.default,
                severity=a.severity,
                recovery_lag=a.recovery_lag,
                advance=a.advance,
            )
        self.assumptions = assumptions
        self._closing_units = loan_units(spec, self.pool)
        self.pool_balance_units = sum(self._closing_units)
        self.cash_flows: pd.DataFrame = project_pool(self.pool, assumptions)
        self.inputs = Collections.from_frame(self.cash_flows).to_exact(
            self.decimals, self.pool_balance_units
        )
        if isinstance(self.pool, pd.DataFrame):
            self.loan_ids = [str(x) for x in self.pool["loan_id"]]
            closing = self.pool["current_balance"].to_numpy(np.float64)
        else:
            self.loan_ids = [f"line-{i}" for i in range(len(self.pool))]
            closing = np.array([r.balance for r in self.pool], dtype=np.float64)
        n = max(len(self.loan_ids), 1)
        default_avg = closing.sum() / n if isinstance(self.pool, pd.DataFrame) else 250_000.0
        self.avg_loan_units = max(1, to_units(float(avg_loan or default_avg), self.decimals))
        self._loan_bal: np.ndarray | None = None

    # ------------------------------------------------------------ periods
    @property
    def n_periods(self) -> int:
        """Periods until the collateral is gone."""
        return len(self.inputs)

    def _check(self, period: int) -> None:
        if not 1 <= period <= self.n_periods:
            raise ChainError(f"period {period} outside 1..{self.n_periods} of {self.spec.deal}")

    def period_input(self, period: int) -> Any:
        """The exact :class:`~trancheflow.deal.exact.PeriodInput` of ``period`` (1-based)."""
        self._check(period)
        return self.inputs[period - 1]

    # ------------------------------------------------------------ buckets
    def buckets(self, period: int) -> dict[str, int]:
        """Delinquency balances and counts of ``period`` (report field names)."""
        self._check(period)
        cf = self.cash_flows
        nd = cf["new_defaults"].to_numpy(np.float64)
        lag = int(self.assumptions.recovery_lag)
        d60p = int(self.period_input(period).delinquent_60_plus)
        t = period - 1
        weights = [nd[t - m] if t - m >= 0 else 0.0 for m in range(max(lag, 1))]
        names = self._vintage_buckets(len(weights))
        parts = split_units(d60p, weights)
        bal = dict.fromkeys(("dq60", "dq90", "foreclosure", "reo"), 0)
        for name, units in zip(names, parts, strict=True):
            bal[name] += units
        nxt = float(nd[period]) if period < len(nd) else 0.0
        bal["dq30"] = to_units(nxt, self.decimals)
        out: dict[str, int] = {}
        for k in ("dq30", "dq60", "dq90", "foreclosure", "reo"):
            out[f"{k}_balance"] = bal[k]
            out[f"{k}_count"] = -(-bal[k] // self.avg_loan_units)
        return out

    @staticmethod
    def _vintage_buckets(n: int) -> list[str]:
        """Bucket of each default vintage m = 0..n-1 months ago."""
        names = []
        for m in range(n):
            if m == 0:
                names.append("dq60")
            elif m == 1:
                names.append("dq90")
            elif m == n - 1:
                names.append("reo")
            else:
                names.append("foreclosure")
        return names

    # ------------------------------------------------------------ loan level
    def _loan_balances(self, period: int) -> np.ndarray:
        """Expected end-of-period balance of every loan, shape (n_loans, horizon)."""
        have = 0 if self._loan_bal is None else self._loan_bal.shape[1]
        if period > have:
            from trancheflow.collateral import project_pool
            from trancheflow.collateral.loans import loan_arrays

            horizon = min(self.n_periods, max(period, 2 * have, 12))
            loans = loan_arrays(self.pool)
            rows = [
                project_pool(loans.take(np.array([i])), self.assumptions, n_periods=horizon)[  # type: ignore[arg-type]
                    "ending_balance"
                ].to_numpy(np.float64)
                for i in range(len(self.loan_ids))
            ]
            self._loan_bal = np.vstack(rows)
        assert self._loan_bal is not None
        return self._loan_bal

    def loan_units(self, period: int) -> list[int]:
        """Every loan's expected balance in units at the end of ``period`` (0 = closing)."""
        if period == 0:
            return list(self._closing_units)
        self._check(period)
        col = self._loan_balances(period)[:, period - 1]
        return to_units_array(col, self.decimals)

    def loan_leaves(self, period: int) -> list[bytes]:
        """Merkle leaves ``loan_leaf(loan_id, units, 0)`` of ``period``, in tape order
        (expected balances carry 0 days delinquent: module docstring)."""
        return [
            loan_leaf(i, u, 0) for i, u in zip(self.loan_ids, self.loan_units(period), strict=True)
        ]

    def loans_root(self, period: int) -> bytes:
        """Merkle root of :meth:`loan_leaves` (period 0: the closing tape root)."""
        return merkle_root(self.loan_leaves(period))

    def loan_proof(self, period: int, loan_id: str) -> tuple[bytes, list[bytes]]:
        """``(leaf, proof)`` of loan ``loan_id`` in the tree of ``period``."""
        try:
            k = self.loan_ids.index(loan_id)
        except ValueError:
            raise ChainError(f"loan {loan_id!r} is not in the tape of {self.spec.deal}") from None
        leaves = self.loan_leaves(period)
        return leaves[k], merkle_proof(leaves, k)

    @cached_property
    def tape_root(self) -> bytes:
        """Merkle root of the closing balances (the deal's ``TAPE_ROOT``)."""
        return self.loans_root(0)

    # ------------------------------------------------------------ reports
    def report(self, period: int, *, loan_level: bool = True) -> ServicerReport:
        """The servicer report of ``period`` (loan root zero when ``loan_level`` is false)."""
        inp = self.period_input(period)
        root = self.loans_root(period) if loan_level else b"\x00" * 32
        return ServicerReport(
            period=period,
            interest=inp.interest,
            scheduled_principal=inp.scheduled_principal,
            prepayments=inp.prepayments,
            recoveries=inp.recoveries,
            losses=inp.losses,
            loans_root=root,
            **self.buckets(period),
        )
