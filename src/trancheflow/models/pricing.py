"""ML-driven projection over loans × rate paths × months, and its Monte Carlo OAS.

:func:`ml_path_accumulators` projects a tape on mortgage-rate paths with a
trained :class:`~trancheflow.models.model.HazardModel` compiled by
:mod:`trancheflow.models.compiled`. Everything but the incentive and burnout
is the same on every path, so :func:`loan_month_rates` evaluates once per
loan and month

* the prepay log-odds of the loan's covariates (per loan), age × month of
  year and mark-to-market LTV (scheduled balance over the origination value
  grown at ``hpa`` a year: the HPI is one deterministic scenario, not
  simulated) as one odds multiplier ``A``;
* the monthly **buyout** rate: the default-start probability times the
  chance that the loan does not cure in the next three months (cure model at
  ``d30``, ``d60``, ``d90p``), so it reaches 90+ days delinquent and is
  bought out of the pool at par, as agency pass-throughs treat seriously
  delinquent loans (credit losses are the guarantor's; the timing of the
  buyout three months later is ignored);

and per path only ``odds = A · exp(G[incentive, burnout])`` from one table
(the prepay model's incentive × burnout trees, tabulated exactly), the SMM
``odds / (1 + odds)`` plus the buyout rate, and the balances. Burnout starts
at zero (a tape carries no incentive history). Two kernels: :func:`ml_mc_kernel`
(default; float32, loans innermost in blocks of :data:`BLOCK`, a loan's
balance on a path is its scheduled balance times its prepayment survival,
paths in chunks on numba threads; the layout of the collateral engine's
Monte Carlo kernel) and :func:`ml_path_kernel` (float64, paths in the vector
lanes; the reference it is tested against, to 1e-5 relative). The
accumulators are those of ``path_kernel`` (P0, PQ, VOL, ACT, EINT, FEE; the
rest zero), turned into cash-flow columns by the collateral engine.

Examples
--------
>>> from trancheflow.models.simulate import simulate_panel
>>> from trancheflow.models.train import train_hazard_model
>>> from trancheflow.tape import generate_tape
>>> sim = simulate_panel(800, seed=2)
>>> m = train_hazard_model(sim.panel, sim.market, split="2020-01", rounds=10)
>>> rates = np.array([[0.08] * 360, [0.03] * 360])
>>> acc = ml_path_accumulators(generate_tape(20, seed=1), m, rates)
>>> bool(acc[1, :60, 4].sum() > acc[0, :60, 4].sum())   # VOL: low rates prepay faster
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from trancheflow.analytics.montecarlo import MonteCarloSettings, PathValues
from trancheflow.collateral.assumptions import Assumptions
from trancheflow.collateral.kernel import ACT, ADB, EINT, FEE, LOSS, NACC, ND, P0, PQ, VOL
from trancheflow.collateral.loans import loan_arrays
from trancheflow.collateral.projection import CASHFLOW_COLUMNS, _columns
from trancheflow.errors import ModelError
from trancheflow.rates import ZeroCurve

from .compiled import GRIDS, CompiledRisk, compile_risk
from .features import BURNOUT_STEP, INCENTIVE_STEP, LOAN_COLUMNS, loan_features
from .ml_kernel import (
    BLOCK,
    _blocks,
    compress_table,
    loan_month_rates,
    ml_mc_kernel,
    ml_path_kernel,
)
from .model import HazardModel

__all__ = [
    "CompiledModel",
    "compile_model",
    "compress_table",
    "loans_from_tape",
    "ml_path_accumulators",
    "project_paths_ml",
    "project_pool_ml",
]

F = npt.NDArray[np.float64]


@dataclass(frozen=True)
class CompiledModel:
    """A hazard model's risks compiled for the kernel (see :mod:`trancheflow.models.compiled`)."""

    model: HazardModel
    risks: dict[str, CompiledRisk]


def compile_model(model: HazardModel) -> CompiledModel:
    """Compile every risk of ``model`` (prepay, default and cure are needed for pricing)."""
    missing = {"prepay", "default", "cure"} - set(model.boosters)
    if missing:
        raise ModelError(f"pricing needs the risks {sorted(missing)}, missing from the model")
    return CompiledModel(model, {r: compile_risk(b, r) for r, b in model.boosters.items()})


def loans_from_tape(tape: pd.DataFrame) -> pd.DataFrame:
    """The model's loan frame (panel units: percent LTV/DTI/rate) from a normalised tape."""
    n = len(tape)

    def col(name: str, scale: float = 1.0) -> F:
        if name not in tape.columns:
            return np.full(n, np.nan)
        return tape[name].to_numpy(dtype=np.float64) * scale

    def cat(name: str) -> npt.NDArray[np.object_]:
        if name not in tape.columns:
            return np.full(n, None, dtype=object)
        return tape[name].astype(object).to_numpy()

    out = pd.DataFrame(
        {
            "loan_id": cat("loan_id"),
            "fico": col("fico"),
            "ltv": col("ltv", 100.0),
            "cltv": col("cltv", 100.0),
            "dti": col("dti", 100.0),
            "orig_upb": col("original_balance"),
            "orig_rate": col("note_rate", 100.0),
            "orig_term": col("original_term"),
            "state": cat("state"),
            "occupancy": cat("occupancy"),
            "purpose": cat("purpose"),
            "channel": cat("channel"),
            "property_type": cat("property_type"),
            "first_payment": cat("first_payment_date"),
            "vintage": np.zeros(n, dtype=np.int32),
        }
    )
    return out[list(LOAN_COLUMNS)]


def _static_matrix(cr: CompiledRisk, static: dict[str, F], n: int) -> F:
    X = np.zeros((n, len(cr.feature_names)))
    for j, name in enumerate(cr.feature_names):
        if name in static:
            X[:, j] = static[name]
    return X


def ml_path_accumulators(
    tape: pd.DataFrame,
    model: HazardModel | CompiledModel,
    mortgage_rates: npt.ArrayLike,
    *,
    start_month_of_year: int = 1,
    hpa: float = 0.0,
    n_periods: int | None = None,
    engine: str = "blocks",
    credit: str = "buyout",
    severity: float = 0.0,
) -> np.ndarray:
    """Kernel accumulators ``(n_paths, n_periods + 1, NACC)`` of a tape under an ML model.

    Parameters
    ----------
    tape : pandas.DataFrame
        A normalised loan tape (:mod:`trancheflow.tape`).
    model : HazardModel or CompiledModel
    mortgage_rates : array_like, shape (n_paths, >= n_periods)
        Column ``t - 1`` is read in period ``t`` (annual decimals).
    start_month_of_year : int
        Calendar month of period 1.
    hpa : float
        House-price appreciation a year (decimal) for mark-to-market LTV.
    n_periods : int, optional
        Default the longest remaining life.
    engine : {"blocks", "lanes"}
        ``"blocks"`` (default): :func:`ml_mc_kernel`, float32, loans innermost;
        ``"lanes"``: :func:`ml_path_kernel`, float64, paths in the lanes
        (the reference the tests compare the first with).
    credit : {"buyout", "loss"}
        ``"buyout"`` (default): a loan that reaches 90+ days is bought out of
        the pool at par (agency pass-through; paid inside ``VOL``).
        ``"loss"``: it is liquidated in the same month with loss
        ``severity`` x balance (``ND``, ``ADB``, ``LOSS``; the rest
        recovered), as a private-label deal's collateral is (blocks engine only).
    severity : float
        Loss severity of ``credit="loss"`` (decimal, 0..1).
    """
    if credit not in ("buyout", "loss"):
        raise ModelError(f"credit {credit!r} must be 'buyout' or 'loss'")
    if not (0.0 <= float(severity) <= 1.0):
        raise ModelError(f"severity {severity!r} must be in 0..1")
    if credit == "loss" and engine != "blocks":
        raise ModelError("credit='loss' needs engine 'blocks'")
    cm = model if isinstance(model, CompiledModel) else compile_model(model)
    if isinstance(start_month_of_year, bool) or start_month_of_year not in range(1, 13):
        raise ModelError(f"start_month_of_year {start_month_of_year!r} must be 1..12")
    la = loan_arrays(tape)
    order = np.argsort(la.life, kind="stable")
    la = la.take(order)
    loans = loans_from_tape(tape).iloc[order].reset_index(drop=True)
    n_loans = la.n_loans
    horizon = int(la.life.max()) if n_loans else 0
    n = horizon if n_periods is None else int(n_periods)
    mr = np.asarray(mortgage_rates, dtype=np.float64)
    if mr.ndim == 1:
        mr = mr[None, :]
    if mr.ndim != 2 or mr.shape[1] < n or not np.all(np.isfinite(mr[:, :n])):
        raise ModelError(f"mortgage_rates has shape {mr.shape}; need finite (n_paths, >= {n})")
    static = loan_features(loans, cm.model.codes)
    parts = {}
    for risk in ("prepay", "default", "cure"):
        cr = cm.risks[risk]
        parts[risk] = (
            cr.static_score(_static_matrix(cr, static, n_loans)),
            np.ascontiguousarray(cr.dense("loan_age", "month_of_year")),
            np.ascontiguousarray(cr.dense("mtm_ltv")),
        )
        known = {("loan_age", "month_of_year"), ("mtm_ltv",), ("incentive", "burnout"), ("status",)}
        for key in cr.tables:
            if not any(set(key) <= set(k) for k in known):
                raise ModelError(f"{risk}: trees over {list(key)} do not fit the kernel's groups")
        if risk != "prepay" and cr.dense("incentive", "burnout").any():
            raise ModelError(f"{risk}: the kernel reads incentive and burnout for prepay only")
    st = np.ascontiguousarray(cm.risks["cure"].dense("status"))
    g_exp = np.exp(cm.risks["prepay"].dense("incentive", "burnout"))
    ltv = loans["ltv"].to_numpy(dtype=np.float64) / 100.0
    value0 = np.where(
        np.isfinite(ltv) & (ltv > 0),
        loans["orig_upb"].to_numpy(dtype=np.float64) / np.where(ltv > 0, ltv, 1.0),
        np.nan,
    )
    if "property_value" in tape.columns:
        pv = tape["property_value"].to_numpy(dtype=np.float64)[order]
        value0 = np.where(np.isfinite(pv) & (pv > 0), pv, value0)
    inv_value = np.where(
        np.isfinite(value0) & (value0 > 0), 100.0 / np.nan_to_num(value0, nan=1.0), 0.0
    )
    hpi_inv = (1.0 + hpa) ** (-np.arange(max(n, 1)) / 12.0)
    note_units = loans["orig_rate"].to_numpy(dtype=np.float64) / INCENTIVE_STEP
    inc_lo = GRIDS["incentive"][0] / INCENTIVE_STEP  # -300
    mr_units = (
        np.ascontiguousarray((100.0 * mr[:, :n] / INCENTIVE_STEP).T)
        if n
        else np.zeros((1, mr.shape[0]))
    )
    A, buy, qq = loan_month_rates(
        la.bal,
        la.rate_m,
        la.n_amort,
        la.io_left,
        la.life,
        la.age0,
        inv_value,
        hpi_inv,
        int(start_month_of_year),
        parts["prepay"][0],
        parts["default"][0],
        parts["cure"][0],
        parts["prepay"][1],
        parts["default"][1],
        parts["cure"][1],
        parts["prepay"][2],
        parts["default"][2],
        parts["cure"][2],
        st,
        1.0 / GRIDS["mtm_ltv"][1],
        n,
    )
    if engine == "blocks":
        imap, bmap, g_small = compress_table(g_exp)
        n_blocks = max((n_loans + BLOCK - 1) // BLOCK, 1)
        sched = np.concatenate([np.ones((n_loans, 1)), np.cumprod(qq, axis=1)], axis=1)
        sb = (la.bal[:, None] * sched).T  # (T + 1, n_loans)
        life_pad = np.concatenate([la.life, np.zeros(n_blocks * BLOCK - n_loans, np.int64)])
        acc5 = ml_mc_kernel(
            _blocks(A.T, n_blocks),
            _blocks(buy.T, n_blocks),
            _blocks(sb, n_blocks),
            _blocks(la.net_m, n_blocks),
            _blocks(la.fee_m, n_blocks),
            _blocks(note_units, n_blocks),
            life_pad.reshape(n_blocks, BLOCK).max(axis=1),
            np.ascontiguousarray(mr_units.T + inc_lo, dtype=np.float32),
            imap,
            bmap,
            np.ascontiguousarray(g_small, dtype=np.float32).ravel(),
            int(g_small.shape[1]),
            float(g_exp.shape[0] - 1),
            int(g_exp.shape[1] - 1),
            float(-inc_lo),
            round(BURNOUT_STEP / INCENTIVE_STEP) // 2 + 0.5,
            1.0 / round(BURNOUT_STEP / INCENTIVE_STEP),
            n,
        )
        out = np.zeros((acc5.shape[0], n + 1, NACC))
        out[:, :, P0] = acc5[:, :, 0]
        out[:, :, PQ] = acc5[:, :, 1]
        out[:, :, VOL] = acc5[:, :, 2]
        out[:, :, ACT] = acc5[:, :, 5]
        out[:, n, ACT] = acc5[:, n, 0]
        out[:, :, EINT] = acc5[:, :, 3]
        out[:, :, FEE] = acc5[:, :, 4]
        if credit == "loss":
            dflt = acc5[:, :, 6]
            out[:, :, VOL] -= dflt
            out[:, :, ND] = dflt
            out[:, :, ADB] = dflt
            out[:, :, LOSS] = dflt * float(severity)
        return out
    if engine != "lanes":
        raise ModelError(f"engine {engine!r} must be 'blocks' or 'lanes'")
    return ml_path_kernel(
        la.bal,
        la.net_m,
        la.fee_m,
        la.life,
        note_units,
        A,
        buy,
        qq,
        np.ascontiguousarray(g_exp, dtype=np.float32),
        mr_units,
        float(inc_lo),
        round(BURNOUT_STEP / INCENTIVE_STEP),
        n,
    )


def project_paths_ml(
    tape: pd.DataFrame,
    model: HazardModel | CompiledModel,
    mortgage_rates: npt.ArrayLike,
    *,
    start_month_of_year: int = 1,
    hpa: float = 0.0,
    n_periods: int | None = None,
    credit: str = "buyout",
    severity: float = 0.0,
) -> np.ndarray:
    """Cash flows ``(n_paths, n_periods, len(CASHFLOW_COLUMNS))`` under an ML model.

    With ``credit="buyout"`` (default) seriously delinquent loans are bought
    out at par (inside ``voluntary_prepayment``) and there are no credit
    losses (agency pass-through); ``credit="loss"`` liquidates them with
    ``severity`` (``new_defaults``, ``recovery``, ``loss``; see
    :func:`ml_path_accumulators`).
    """
    acc = ml_path_accumulators(
        tape,
        model,
        mortgage_rates,
        start_month_of_year=start_month_of_year,
        hpa=hpa,
        n_periods=n_periods,
        credit=credit,
        severity=severity,
    )
    return _path_columns(acc)


def _path_columns(acc: np.ndarray) -> np.ndarray:
    """:func:`~trancheflow.collateral.projection._columns` on every path at once.

    The paths' accumulator tables are stacked into one long table (every
    column but the two running sums is elementwise in the rows ``t`` and
    ``t + 1``), the rows that straddle two paths are dropped, and the running
    sums are redone per path.
    """
    n_paths, rows, _ = acc.shape
    T = rows - 1
    flat = _columns(acc.reshape(n_paths * rows, acc.shape[2]), Assumptions("CPR 0", "CDR 0"))
    flat = np.concatenate([flat, np.zeros((1, flat.shape[1]))])
    out = flat.reshape(n_paths, rows, flat.shape[1])[:, :T].copy()
    for name, src in (("cumulative_defaults", "new_defaults"), ("cumulative_loss", "loss")):
        out[:, :, CASHFLOW_COLUMNS.index(name)] = np.cumsum(
            out[:, :, CASHFLOW_COLUMNS.index(src)], axis=1
        )
    return out


def ml_path_values(
    tape: pd.DataFrame,
    model: HazardModel | CompiledModel,
    curve: ZeroCurve,
    settings: MonteCarloSettings,
    *,
    start_month_of_year: int = 1,
    hpa: float = 0.0,
    name: str = "pool",
) -> PathValues:
    """Discounted pass-through cash flows per rate path under an ML model.

    :func:`~trancheflow.analytics.montecarlo.simulate_values` on the tape as
    a pool security whose behaviour is the model
    (:class:`~trancheflow.models.tranche_pricing.MLBehaviour`, seriously
    delinquent loans bought out at par): the same paths, mortgage rates and
    discounting as the refinancing model for the same settings, run inline
    (numba threads over paths). Prices and OAS follow with
    :func:`~trancheflow.analytics.oas.oas_from_price`.
    """
    from dataclasses import replace

    from trancheflow.analytics.montecarlo import pool_security, simulate_values

    from .tranche_pricing import MLBehaviour

    cm = model if isinstance(model, CompiledModel) else compile_model(model)
    t = tape.reset_index(drop=True)
    beh = MLBehaviour(cm, t, hpa=hpa, credit="buyout")
    sec = pool_security(t, None, beh, start_month_of_year=start_month_of_year, name=name)
    inline = settings if settings.scheduler is not None else replace(settings, workers=1, chunks=1)
    return simulate_values(sec, curve, inline)


def project_pool_ml(
    tape: pd.DataFrame,
    model: HazardModel | CompiledModel,
    mortgage_rates: npt.ArrayLike,
    *,
    start_month_of_year: int = 1,
    hpa: float = 0.0,
) -> pd.DataFrame:
    """Deterministic projection under an ML model: one mortgage-rate path, a cash-flow table.

    ``mortgage_rates`` is one path (e.g. flat today's rate, or the forward
    path); the result has :data:`~trancheflow.collateral.CASHFLOW_COLUMNS`
    per period, as :func:`~trancheflow.collateral.project_pool` returns, so
    the yield-table and waterfall code read it unchanged.
    """
    mr = np.asarray(mortgage_rates, dtype=np.float64)
    if mr.ndim != 1:
        raise ModelError(f"one mortgage-rate path expected, got shape {mr.shape}")
    cube = project_paths_ml(
        tape, model, mr[None, :], start_month_of_year=start_month_of_year, hpa=hpa
    )
    df = pd.DataFrame(cube[0], columns=list(CASHFLOW_COLUMNS))
    df.insert(0, "period", np.arange(1, len(df) + 1, dtype=np.int64))
    return df
