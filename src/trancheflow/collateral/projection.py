"""Pool cash-flow projection: :func:`project_pool` and :func:`project_scenarios`.

The model is the Bond Market Association's "Standard Formulas for Computing
Mortgage Cash Flows with Defaults" (Uniform Practices, Chapter SF, section C.3,
pp. SF-18/19); see :mod:`trancheflow.collateral.kernel` for the formulas.
Period ``t`` runs 1..n; balances are end-of-period unless named ``beginning``.

Output columns (all currency amounts are pool totals for the period):

================================  ==========================================================
``period``                        projection month, 1-based
``performing_balance``            PERF BAL: balance of loans still paying, end of period
``new_defaults``                  NEW DEF: performing balance that stops paying this period
                                  (``PERF(t-1) * MDR``)
``foreclosure_balance``           FCL: defaulted loans not yet liquidated, end of period
``scheduled_principal``           EXP AM: scheduled amortization due on performing and
                                  foreclosure balances (= actual + defaulted amortization)
``voluntary_prepayment``          VOL PREPAY: ``PERF(t-1) * q * SMM`` (capped)
``defaulted_amortization``        AM DEF: scheduled amortization due on defaulted loans;
                                  paid to investors (advanced) only when ``advance``
``actual_amortization``           ACT AM: scheduled amortization paid by performing loans
``expected_interest``             EXP INT: interest due at the **net** rate on performing
                                  + foreclosure balances
``interest_lost``                 LOST INT: net interest not paid by defaulted loans (new
                                  defaults + foreclosures); advanced when ``advance``
``net_interest``                  interest paid to investors at the net rate:
                                  ``expected_interest`` when advancing, else
                                  ``expected_interest - interest_lost`` (BMA ACT INT)
``servicing_fee``                 ``balance * (gross - net) / 12`` on the balance whose
                                  interest is collected (performing + foreclosure when
                                  advancing; performing less new defaults otherwise)
``recovery``                      PRIN RECOV: liquidation proceeds, ``ADB - loss``
``loss``                          PRIN LOSS: ``min(NEW DEF(t-lag) * severity, ADB)``
``total_principal``               principal to investors: actual amortization + advanced
                                  defaulted amortization + voluntary prepayment + recovery
``total_cash_flow``               investor cash: ``net_interest + total_principal``
``beginning_balance``             performing + foreclosure balance at the start of the period
``ending_balance``                performing + foreclosure balance at the end of the period;
                                  ``beginning - ending = total_principal + loss``
``amortized_default_balance``     ADB: balance of the loans liquidated this period
``advanced_principal``            defaulted amortization advanced by the servicer
``advanced_interest``             interest advanced by the servicer (= ``interest_lost``
                                  when advancing, else 0)
``gross_interest``                interest at the **gross** rate on the balance whose
                                  interest is collected: ``net_interest + servicing_fee``
``smm``, ``cpr``                  effective voluntary prepayment rate of the period
                                  (``voluntary_prepayment / (PERF(t-1) * q)``), annualised
``mdr``, ``cdr``                  effective default rate (``new_defaults / PERF(t-1)``),
                                  annualised
``cumulative_defaults``           running sum of ``new_defaults``
``cumulative_loss``               running sum of ``loss``
================================  ==========================================================

Examples
--------
>>> cf = project_pool(RepLine(100_000_000, 0.08, 0.08, 360, 360, 0),
...                   Assumptions("SMM 1", "MDR 1", severity=0.2, recovery_lag=12))
>>> cf.loc[0, ["performing_balance", "new_defaults", "voluntary_prepayment"]].round(0).tolist()
[97934244.0, 1000000.0, 999329.0]
>>> round(cf["new_defaults"].sum())  # BMA SF-30, Cash Flow A total
47576640
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal

import numba
import numpy as np
import pandas as pd

from trancheflow.errors import AssumptionError

from .assumptions import Assumptions, RepLine
from .kernel import (
    ACT,
    ADB,
    DFL,
    EINT,
    F0,
    FEE,
    LANES,
    LOSS,
    LOST,
    NACC,
    ND,
    P0,
    PQ,
    VOL,
    project_kernel,
    project_kernel_serial,
)
from .loans import LoanArrays, Pool, loan_arrays
from .reference import reference_project
from .speeds import smm_to_cpr

__all__ = ["CASHFLOW_COLUMNS", "project_pool", "project_scenarios"]

CASHFLOW_COLUMNS: tuple[str, ...] = (
    "performing_balance",
    "new_defaults",
    "foreclosure_balance",
    "scheduled_principal",
    "voluntary_prepayment",
    "defaulted_amortization",
    "actual_amortization",
    "expected_interest",
    "interest_lost",
    "net_interest",
    "servicing_fee",
    "recovery",
    "loss",
    "total_principal",
    "total_cash_flow",
    "beginning_balance",
    "ending_balance",
    "amortized_default_balance",
    "advanced_principal",
    "advanced_interest",
    "gross_interest",
    "smm",
    "cpr",
    "mdr",
    "cdr",
    "cumulative_defaults",
    "cumulative_loss",
)
"""Column names of a projection, in the order of :func:`project_scenarios`'s last axis."""

Engine = Literal["numba", "numpy"]
_CHUNK_LOANS = 65_536
_PARALLEL_BLOCKS = 16  # below this many 64-loan blocks, threads cost more than they save


def _tables(
    a: Assumptions, max_age: int, n_periods: int
) -> tuple[np.ndarray, int, np.ndarray, int]:
    n_index = max_age + n_periods + 1
    smm, smm_age = a.prepay.rate_table(n_index)
    mdr, mdr_age = a.default.rate_table(n_index)
    return (
        np.ascontiguousarray(smm, dtype=np.float64),
        int(smm_age),
        np.ascontiguousarray(mdr, dtype=np.float64),
        int(mdr_age),
    )


def _accumulate(
    loans: LoanArrays,
    a: Assumptions,
    n_periods: int,
    engine: Engine,
    progress: Callable[[int, int], None] | None,
) -> np.ndarray:
    max_age = int(loans.age0.max()) if loans.n_loans else 0
    smm, smm_age, mdr, mdr_age = _tables(a, max_age, n_periods)
    acc = np.zeros((n_periods + 1, NACC))
    if loans.n_loans == 0:
        return acc
    sorted_loans = loans
    step = _CHUNK_LOANS if progress is not None else max(sorted_loans.n_loans, 1)
    done = 0
    for lo in range(0, sorted_loans.n_loans, step):
        part = sorted_loans.take(np.arange(lo, min(lo + step, sorted_loans.n_loans)))
        args = (
            part.bal,
            part.rate_m,
            part.net_m,
            part.fee_m,
            part.n_amort,
            part.io_left,
            part.life,
            part.age0,
            smm,
            smm_age,
            mdr,
            mdr_age,
            a.severity,
            a.recovery_lag,
            a.advance,
            n_periods,
        )
        if engine == "numba":
            n_blocks = (part.n_loans + LANES - 1) // LANES
            if n_blocks < _PARALLEL_BLOCKS:
                acc += project_kernel_serial(*args, 1)
            else:
                n_chunks = max(1, min(n_blocks, 2 * numba.get_num_threads()))
                acc += project_kernel(*args, n_chunks)
        elif engine == "numpy":
            acc += reference_project(*args)
        else:
            raise AssumptionError(f"engine {engine!r} must be 'numba' or 'numpy'")
        done += part.n_loans
        if progress is not None:
            progress(done, sorted_loans.n_loans)
    return acc


def _columns(acc: np.ndarray, a: Assumptions) -> np.ndarray:
    """Turn the accumulator table into the CASHFLOW_COLUMNS matrix (n_periods, n_cols)."""
    cur, nxt = acc[:-1], acc[1:]
    adv = 1.0 if a.advance else 0.0
    perf_end, fcl_end = nxt[:, P0], nxt[:, F0]
    recovery = cur[:, ADB] - cur[:, LOSS]
    advanced_principal = cur[:, DFL] * adv
    net_interest = cur[:, EINT] - (1.0 - adv) * cur[:, LOST]
    total_principal = cur[:, ACT] + advanced_principal + cur[:, VOL] + recovery
    with np.errstate(divide="ignore", invalid="ignore"):
        smm = np.where(cur[:, PQ] > 0, cur[:, VOL] / cur[:, PQ], 0.0)
        mdr = np.where(cur[:, P0] > 0, cur[:, ND] / cur[:, P0], 0.0)
    cols = {
        "performing_balance": perf_end,
        "new_defaults": cur[:, ND],
        "foreclosure_balance": fcl_end,
        "scheduled_principal": cur[:, ACT] + cur[:, DFL],
        "voluntary_prepayment": cur[:, VOL],
        "defaulted_amortization": cur[:, DFL],
        "actual_amortization": cur[:, ACT],
        "expected_interest": cur[:, EINT],
        "interest_lost": cur[:, LOST],
        "net_interest": net_interest,
        "servicing_fee": cur[:, FEE],
        "recovery": recovery,
        "loss": cur[:, LOSS],
        "total_principal": total_principal,
        "total_cash_flow": net_interest + total_principal,
        "beginning_balance": cur[:, P0] + cur[:, F0],
        "ending_balance": perf_end + fcl_end,
        "amortized_default_balance": cur[:, ADB],
        "advanced_principal": advanced_principal,
        "advanced_interest": cur[:, LOST] * adv,
        "gross_interest": net_interest + cur[:, FEE],
        "smm": smm,
        "cpr": smm_to_cpr(smm),
        "mdr": mdr,
        "cdr": smm_to_cpr(mdr),
        "cumulative_defaults": np.cumsum(cur[:, ND]),
        "cumulative_loss": np.cumsum(cur[:, LOSS]),
    }
    return np.column_stack([cols[c] for c in CASHFLOW_COLUMNS])


def _prepare(pool: Pool | LoanArrays, n_periods: int | None) -> tuple[LoanArrays, int]:
    loans = pool if isinstance(pool, LoanArrays) else loan_arrays(pool)
    # Blocks of loans with similar lives keep the kernel's lanes busy together.
    loans = loans.take(np.argsort(loans.life, kind="stable"))
    horizon = int(loans.life.max()) if loans.n_loans else 0
    if n_periods is None:
        n_periods = horizon
    if int(n_periods) != n_periods or n_periods < 0:
        raise AssumptionError(f"n_periods {n_periods!r} must be a whole number >= 0")
    return loans, int(n_periods)


def _check_assumptions(a: object) -> Assumptions:
    if not isinstance(a, Assumptions):
        raise AssumptionError(f"assumptions {a!r} must be an Assumptions instance")
    return a


def project_pool(
    pool: pd.DataFrame | RepLine | Sequence[RepLine],
    assumptions: Assumptions,
    *,
    n_periods: int | None = None,
    engine: Engine = "numba",
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """Project a pool's monthly cash flows under one scenario (BMA standard defaults).

    Parameters
    ----------
    pool : pandas.DataFrame, RepLine or sequence of RepLine
        A normalised loan tape (loan-level projection: every row is projected
        as its own loan and the results summed) or rep lines (each projected
        as one aggregate loan). See :func:`~trancheflow.collateral.loans.loan_arrays`.
    assumptions : Assumptions
        Prepayment and default speeds, severity, months to liquidation, advancing.
    n_periods : int, optional
        Months to project; defaults to the longest loan's remaining life.
        Longer horizons are padded with zero rows.
    engine : {'numba', 'numpy'}
        The compiled kernel (default) or the plain NumPy reference.
    progress : callable, optional
        ``progress(loans_done, loans_total)``, called as loan chunks finish.

    Returns
    -------
    pandas.DataFrame
        One row per period: ``period`` then :data:`CASHFLOW_COLUMNS` (meanings
        in the module docstring).

    Examples
    --------
    >>> line = RepLine(1000.0, 0.06, 0.055, 360, 300, 60)
    >>> cf = project_pool(line, Assumptions("PSA 100", "CDR 0"))
    >>> len(cf), round(float(cf["total_principal"].sum()), 6)
    (300, 1000.0)
    """
    a = _check_assumptions(assumptions)
    loans, n = _prepare(pool, n_periods)
    matrix = _columns(_accumulate(loans, a, n, engine, progress), a)
    frame = pd.DataFrame(matrix, columns=list(CASHFLOW_COLUMNS))
    frame.insert(0, "period", np.arange(1, n + 1, dtype=np.int64))
    return frame


def project_scenarios(
    pool: pd.DataFrame | RepLine | Sequence[RepLine],
    scenarios: Sequence[Assumptions],
    *,
    n_periods: int | None = None,
    engine: Engine = "numba",
) -> np.ndarray:
    """Project one pool under several scenarios.

    Parameters
    ----------
    pool : pandas.DataFrame, RepLine or sequence of RepLine
        As in :func:`project_pool`; validated once.
    scenarios : sequence of Assumptions
    n_periods : int, optional
        Common horizon; defaults to the longest loan's remaining life.
    engine : {'numba', 'numpy'}

    Returns
    -------
    numpy.ndarray
        Shape ``(n_scenarios, n_periods, len(CASHFLOW_COLUMNS))``; the last axis
        is in :data:`CASHFLOW_COLUMNS` order (no ``period`` column: period
        ``t`` is index ``t - 1``).

    Examples
    --------
    >>> line = RepLine(100.0, 0.07, 0.065, 360, 360, 0)
    >>> out = project_scenarios(line, [Assumptions(f"PSA {s}", "CDR 0") for s in (100, 300)])
    >>> out.shape
    (2, 360, 27)
    >>> wal = (out[:, :, CASHFLOW_COLUMNS.index("total_principal")] * np.arange(1, 361)).sum(1)
    >>> bool(wal[1] < wal[0])
    True
    """
    loans, n = _prepare(pool, n_periods)
    out = np.zeros((len(scenarios), n, len(CASHFLOW_COLUMNS)))
    for k, a in enumerate(scenarios):
        out[k] = _columns(_accumulate(loans, _check_assumptions(a), n, engine, None), a)
    return out
