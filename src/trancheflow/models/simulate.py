"""Ground-truth simulator: a loan-month panel drawn from known monthly competing-risk hazards.

No loan performance history can be downloaded in this project's setups, so
the models are checked against panels whose hazards are known exactly. The
simulator draws loans (origination covariates from
:func:`trancheflow.tape.generate_tape`, from a fit of a real origination file
with ``like=`` (:func:`trancheflow.tape.like.fit_like`; ``model simulate
--like FILE``), or any loan frame), originates them over a span of months at the
market mortgage rate of their month plus their credit add-ons, and steps all
loans forward one calendar month at a time (vectorized over loans; memory is
the output rows plus a few arrays per loan).

Each month a loan that is ``current`` prepays, starts to default (misses a
payment: ``d30``) or stays current; a delinquent loan (``d30``, ``d60``,
``d90p``) cures back to ``current`` or rolls on (``d30`` → ``d60`` → ``d90p``;
from ``d90p`` it enters foreclosure/REO with probability 1/4 a month); a loan
in ``fc_reo`` is liquidated (``default``, with a loss) with probability 1/5 a
month. The three modelled risks have logistic monthly hazards
(:class:`TrueHazards`) in the features of :mod:`trancheflow.models.features`:

* **prepay** (from current): turnover ramp in loan age, seasonality, a
  refinancing S-curve in the incentive, burnout, FICO, mark-to-market LTV
  (underwater borrowers cannot refinance), loan size, occupancy, purpose,
  channel and a state effect;
* **default** (current → d30, the start of the roll to serious delinquency):
  FICO, mark-to-market LTV, DTI, an age hump, occupancy, purpose, channel and
  a state effect;
* **cure** (delinquent → current): status, FICO, mark-to-market LTV, DTI.

The log-odds are **additive** across feature groups (loan covariates; age and
month; incentive and burnout; mark-to-market LTV; status), the proportional-
hazards structure of Schwartz & Torous (1989, *J. Finance* 44(2)) and Deng,
Quigley & Van Order (2000, *Econometrica* 68(2)); all coefficients are
**illustrative**, chosen to give plausible rates (about 6% CPR turnover,
refinancing waves to 40-60% CPR, a few percent a year of loans missing a
payment), not fitted to any data. The hazards depend on observable features
only (no hidden frailty), so a perfect model reaches the true hazards' AUC.

Market paths: by default a monthly mortgage rate interpolated from Freddie
Mac's PMMS 30-year annual averages 2012-2024 (:data:`PMMS_ANNUAL`, rounded
published figures) plus Hull-White noise, and an HPI growing 4% a year with
5% annual volatility (seeded); or any :class:`MarketPath`.

Examples
--------
>>> sim = simulate_panel(200, seed=3)
>>> bool(sim.panel.n_rows > 200 and sim.truth_prob["prepay"].shape == (sim.panel.n_rows,))
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from trancheflow.errors import ModelError
from trancheflow.tape.generate import STATE_WEIGHTS, generate_tape

from .features import (
    STATUS_CODES,
    LoanMonths,
    MarketPath,
    burnout_of,
    incentive_of,
    incentive_units,
    month_index,
    mtm_ltv_of,
)

__all__ = ["PMMS_ANNUAL", "RISKS", "SimulatedPanel", "TrueHazards", "market_path", "simulate_panel"]

F = npt.NDArray[np.float64]
RISKS: tuple[str, ...] = ("prepay", "default", "cure")

#: Freddie Mac PMMS 30-year fixed rate, annual averages (percent, rounded to 0.01).
PMMS_ANNUAL: dict[int, float] = {
    2011: 4.45, 2012: 3.66, 2013: 3.98, 2014: 4.17, 2015: 3.85, 2016: 3.65, 2017: 3.99,
    2018: 4.54, 2019: 3.94, 2020: 3.11, 2021: 2.96, 2022: 5.34, 2023: 6.81, 2024: 6.72,
}  # fmt: skip

#: Month-of-year prepayment multipliers of the truth (January first; illustrative, mean 1).
SEASONALITY: tuple[float, ...] = (
    0.80,
    0.80,
    0.90,
    1.00,
    1.10,
    1.20,
    1.20,
    1.20,
    1.05,
    1.00,
    0.90,
    0.85,
)

CURRENT, D30, D60, D90P, FC, PREPAID, DEFAULT = (
    STATUS_CODES[s] for s in ("current", "d30", "d60", "d90p", "fc_reo", "prepaid", "default")
)


def _sigmoid(z: F) -> F:
    return np.asarray(0.5 * (1.0 + np.tanh(0.5 * z)))


@dataclass(frozen=True)
class TrueHazards:
    """The simulator's monthly hazards (logistic in the features; module docstring).

    ``state_seed`` draws the per-state effects (N(0, 0.15) on prepayment,
    N(0, 0.2) on default).
    """

    prepay_base: float = -5.3
    refi_height: float = 3.0
    refi_slope: float = 2.0
    refi_mid: float = 0.75
    burnout_coef: float = 0.008
    default_base: float = -6.0
    state_seed: int = 7
    state_prepay: dict[str, float] = field(default_factory=dict, compare=False)
    state_default: dict[str, float] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        rng = np.random.default_rng(self.state_seed)
        states = sorted(STATE_WEIGHTS)
        sp, sd = rng.normal(0, 0.15, len(states)), rng.normal(0, 0.2, len(states))
        self.state_prepay.update(zip(states, sp.tolist(), strict=True))
        self.state_default.update(zip(states, sd.tolist(), strict=True))

    # per-loan parts -----------------------------------------------------------
    def loan_logits(self, loans: pd.DataFrame) -> dict[str, F]:
        """Static parts of the prepay, default and cure log-odds, one value per loan."""
        fico = loans["fico"].to_numpy(dtype=np.float64)
        dti = loans["dti"].to_numpy(dtype=np.float64) / 100.0
        bal = loans["orig_upb"].to_numpy(dtype=np.float64)

        def eff(col: str, table: dict[str, float]) -> F:
            return loans[col].map(lambda v: table.get(str(v), 0.0)).to_numpy(dtype=np.float64)

        occ_p = eff("occupancy", {"investor": -0.3, "second_home": -0.1})
        pur_p = eff("purpose", {"cash_out_refi": -0.1, "rate_term_refi": 0.1})
        ch_p = eff("channel", {"broker": 0.15, "correspondent": 0.05})
        prepay = (
            self.prepay_base
            + 0.004 * (fico - 740.0)
            + 0.35 * np.log(bal / 300_000.0)
            + occ_p
            + pur_p
            + ch_p
            + eff("state", self.state_prepay)
        )
        default = (
            self.default_base
            - 0.012 * (fico - 740.0)
            + 3.0 * (dti - 0.36)
            + eff("occupancy", {"investor": 0.35, "second_home": 0.1})
            + eff("purpose", {"cash_out_refi": 0.25})
            + eff("channel", {"broker": 0.2})
            + eff("state", self.state_default)
        )
        cure = 0.01 * (fico - 740.0) - 2.0 * (dti - 0.36)
        return {"prepay": prepay, "default": default, "cure": cure}

    # per-month parts ----------------------------------------------------------
    def prepay_dynamic(self, inc: F, burn: F, age: F, moy: F, mtm: F) -> F:
        """Time- and path-varying part of the prepay log-odds."""
        season = np.log(np.asarray(SEASONALITY))[moy.astype(np.int64) - 1]
        ramp = 0.8 * np.log(np.minimum(age + 1.0, 24.0) / 24.0)
        refi = self.refi_height * _sigmoid(self.refi_slope * (inc - self.refi_mid))
        under = -0.04 * np.maximum(mtm - 80.0, 0.0)
        return np.asarray(ramp + season + refi - self.burnout_coef * burn + under)

    def default_dynamic(self, age: F, mtm: F) -> F:
        """Time-varying part of the default log-odds (age hump, mark-to-market LTV)."""
        hump = 0.6 * np.log(np.minimum(age + 1.0, 36.0) / 36.0) - 0.004 * np.maximum(age - 60, 0)
        return np.asarray(hump + 0.035 * (mtm - 75.0))

    def cure_dynamic(self, status: F, mtm: F) -> F:
        """Status and mark-to-market LTV part of the cure log-odds."""
        by_status = np.array([0.0, 0.0, -0.9, -1.8, 0.0])[status.astype(np.int64)]
        return np.asarray(by_status - 0.03 * (mtm - 75.0))

    def probabilities(
        self, static: dict[str, F], li: npt.NDArray[np.int64], feats: dict[str, F]
    ) -> dict[str, F]:
        """Monthly probabilities of each risk for rows of loans ``li`` with features ``feats``."""
        age, mtm = feats["loan_age"], feats["mtm_ltv"]
        return {
            "prepay": _sigmoid(
                static["prepay"][li]
                + self.prepay_dynamic(
                    feats["incentive"], feats["burnout"], age, feats["month_of_year"], mtm
                )
            ),
            "default": _sigmoid(static["default"][li] + self.default_dynamic(age, mtm)),
            "cure": _sigmoid(static["cure"][li] + self.cure_dynamic(feats["status"], mtm)),
        }


def market_path(
    start: str = "2011-01", end: str = "2024-12", *, seed: int = 0, rate_vol: float = 0.004
) -> MarketPath:
    """PMMS-shaped mortgage rate with Hull-White-like noise and a lognormal HPI.

    The rate is the annual average of :data:`PMMS_ANNUAL` (linear between
    mid-years) plus an Ornstein-Uhlenbeck deviation (mean reversion 1/year,
    ``rate_vol`` a year, seeded); the HPI grows 4% a year with 5% volatility.
    """
    s, e = month_index([start])[0], month_index([end])[0]
    if e < s:
        raise ModelError(f"market path end {end} is before its start {start}")
    months = np.arange(s, e + 1)
    years = np.array(sorted(PMMS_ANNUAL), dtype=np.float64)
    mid = (years - 1970.0) * 12.0 + 5.5
    base = np.interp(months, mid, np.array([PMMS_ANNUAL[int(y)] for y in years])) / 100.0
    rng = np.random.default_rng(seed)
    dt, a = 1.0 / 12.0, 1.0
    x = np.zeros(len(months))
    for k in range(1, len(months)):
        x[k] = x[k - 1] * math.exp(-a * dt) + rate_vol * math.sqrt(dt) * rng.standard_normal()
    hpi = np.exp(np.cumsum(0.04 * dt + 0.05 * math.sqrt(dt) * rng.standard_normal(len(months))))
    return MarketPath(int(s), np.maximum(base + x, 0.005), hpi / hpi[0])


@dataclass(frozen=True)
class SimulatedPanel:
    """A ground-truth panel: the rows, the market path and each row's true probabilities.

    ``truth_prob[risk][row]`` is the true probability of the risk's event in
    that row's month given the previous month's status (NaN where the loan
    was not at risk or the row has no transition).
    """

    panel: LoanMonths
    market: MarketPath
    hazards: TrueHazards
    truth_prob: dict[str, F]


def _like_frame(
    n: int, seed: int, first: int, span: int, market: MarketPath, like: Any
) -> pd.DataFrame:
    """Loans with covariates drawn from a ``--like`` fit (a :class:`~trancheflow.tape.LikeModel`).

    Every covariate follows the fitted file (missing values included); the
    note rate keeps the file's spread over its median (the credit add-on) on
    top of the market rate of the loan's origination month, as
    :func:`_origination_frame` does, so the refinancing incentive is
    meaningful in every vintage.
    """
    cov = like.sample_covariates(n, seed=seed)
    rng = np.random.default_rng(seed + 1)
    orig = first + rng.integers(0, span, n)
    fp = orig + 1
    r = cov["orig_rate"].to_numpy(dtype=np.float64)
    add_on = np.nan_to_num(r - np.nanmedian(r)) if np.isfinite(r).any() else np.zeros(n)
    rate = np.clip(np.round((market.rate_at(orig) + add_on) * 800) / 800, 0.015, 0.12)
    fpd = pd.to_datetime({"year": 1970 + fp // 12, "month": fp % 12 + 1, "day": 1})
    out = cov.assign(
        loan_id=[f"SIM{i:08d}" for i in range(1, n + 1)],
        orig_rate=100.0 * rate,
        first_payment=fpd.to_numpy(),
        vintage=(1970 + fp // 12).astype(np.int32),
    )
    for c in ("state", "occupancy", "purpose", "channel", "property_type"):
        out[c] = out[c].astype(object)
    return out


def _for_hazards(lf: pd.DataFrame) -> pd.DataFrame:
    """The loan frame with missing numeric covariates set to their median (truth only).

    The panel keeps the gaps (a model sees "not available", as in the files);
    the true hazards need numbers, and use the pool's median for a gap.
    """
    cols = [c for c in ("fico", "ltv", "cltv", "dti", "orig_upb") if lf[c].isna().any()]
    if not cols:
        return lf
    out = lf.copy()
    for c in cols:
        med = out[c].median()
        out[c] = out[c].fillna(
            med if np.isfinite(med) else {"fico": 740.0, "dti": 36.0}.get(c, 80.0)
        )
    return out


def _origination_frame(
    n: int, seed: int, first: int, span: int, market: MarketPath
) -> pd.DataFrame:
    tape = generate_tape(n, seed=seed)
    rng = np.random.default_rng(seed + 1)
    orig = first + rng.integers(0, span, n)  # origination month; first payment the month after
    fp = orig + 1
    add_on = tape["note_rate"].to_numpy() - np.median(tape["note_rate"].to_numpy())
    rate = np.clip(np.round((market.rate_at(orig) + 0.6 * add_on) * 800) / 800, 0.015, 0.12)
    channel = rng.choice(["retail", "broker", "correspondent"], size=n, p=[0.5, 0.15, 0.35])
    fpd = pd.to_datetime({"year": 1970 + fp // 12, "month": fp % 12 + 1, "day": 1})
    return pd.DataFrame(
        {
            "loan_id": [f"SIM{i:08d}" for i in range(1, n + 1)],
            "fico": tape["fico"].to_numpy(dtype=np.float64),
            "ltv": 100.0 * tape["ltv"].to_numpy(dtype=np.float64),
            "cltv": 100.0 * tape["cltv"].to_numpy(dtype=np.float64),
            "dti": 100.0 * tape["dti"].to_numpy(dtype=np.float64),
            "orig_upb": tape["original_balance"].to_numpy(dtype=np.float64),
            "orig_rate": 100.0 * rate,
            "orig_term": tape["original_term"].to_numpy(dtype=np.int32),
            "state": tape["state"].astype(object).to_numpy(),
            "occupancy": tape["occupancy"].astype(object).to_numpy(),
            "purpose": tape["purpose"].astype(object).to_numpy(),
            "channel": channel.astype(object),
            "property_type": tape["property_type"].astype(object).to_numpy(),
            "first_payment": fpd.to_numpy(),
            "vintage": (1970 + fp // 12).astype(np.int32),
        }
    )


def simulate_panel(
    n_loans: int,
    *,
    seed: int = 0,
    loans: pd.DataFrame | None = None,
    market: MarketPath | None = None,
    hazards: TrueHazards | None = None,
    originate: tuple[str, str] = ("2012-01", "2021-12"),
    end: str = "2024-12",
    like: Any = None,
) -> SimulatedPanel:
    """Simulate a loan-month panel from known hazards (module docstring).

    Parameters
    ----------
    n_loans : int
        Loans to originate (ignored when ``loans`` is given).
    seed : int
        Seeds the covariates, the market path (when drawn here) and the events.
    loans : pandas.DataFrame, optional
        Loan frame with the columns of :data:`trancheflow.models.features.LOAN_COLUMNS`
        (percent units); default drawn from :func:`~trancheflow.tape.generate_tape`.
    market : MarketPath, optional
        Default :func:`market_path` (seeded with ``seed``).
    hazards : TrueHazards, optional
    originate : (str, str)
        First and last origination months (``YYYY-MM``).
    end : str
        Last observed month.
    like : LikeModel, optional
        Draw the covariates from this fit of a real origination file
        (:func:`trancheflow.tape.like.fit_like`) instead of the generator.
    """
    if loans is None and n_loans < 1:
        raise ModelError(f"n_loans={n_loans} must be >= 1")
    hz = hazards or TrueHazards()
    mk = market or market_path(seed=seed)
    o0, o1 = month_index(list(originate))
    last = int(month_index([end])[0])
    if not (mk.start < o0 <= o1 < last <= mk.end):
        raise ModelError(
            f"origination {originate} and end {end} must lie inside the market path "
            f"(months {mk.start}..{mk.end}), originations before the end"
        )
    if loans is not None:
        lf = loans
    elif like is not None:
        lf = _like_frame(n_loans, seed, int(o0), int(o1 - o0 + 1), mk, like)
    else:
        lf = _origination_frame(n_loans, seed, int(o0), int(o1 - o0 + 1), mk)
    n = len(lf)
    rng = np.random.default_rng(seed + 2)
    lh = _for_hazards(lf)
    static = hz.loan_logits(lh)
    fp = month_index(lf["first_payment"])
    orig_upb = lh["orig_upb"].to_numpy(dtype=np.float64)
    note = lf["orig_rate"].to_numpy(dtype=np.float64)
    term = lf["orig_term"].to_numpy(dtype=np.int64)
    orig_value = orig_upb / (lh["ltv"].to_numpy(dtype=np.float64) / 100.0)
    hpi0 = mk.hpi_at(fp - 1)
    r = note / 1200.0
    growth_n = (1.0 + r) ** term

    status = np.full(n, -1, dtype=np.int8)  # -1: not yet originated
    upb = orig_upb.copy()
    burn = np.zeros(n, dtype=np.int64)
    chunks: dict[str, list[np.ndarray]] = {k: [] for k in ("li", "per", "age", "upb", "st", "loss")}
    probs: dict[str, list[np.ndarray]] = {k: [] for k in RISKS}
    for m in range(int(fp.min()), last + 1):
        start = np.flatnonzero(fp == m)
        status[start] = CURRENT
        live = np.flatnonzero((status >= 0) & (status < PREPAID) & (fp < m))
        age = (m - fp[live]).astype(np.float64)
        st0 = status[live]
        inc = incentive_of(note[live], np.full(len(live), mk.rate_at(m - 1)))
        feats = {
            "incentive": inc,
            "burnout": burnout_of(burn[live]),
            "loan_age": age,
            "month_of_year": np.full(len(live), m % 12 + 1, dtype=np.float64),
            "mtm_ltv": mtm_ltv_of(upb[live], orig_value[live], mk.hpi_at(m - 1) / hpi0[live]),
            "status": st0.astype(np.float64),
        }
        burn[live] += incentive_units(inc)
        p = hz.probabilities(static, live, feats)
        u = rng.random(len(live))
        new = st0.copy()
        cur = st0 == CURRENT
        pp, pd_ = p["prepay"], p["default"]
        new[cur & (u < pp)] = PREPAID
        new[cur & (u >= pp) & (u < pp + pd_)] = D30
        dq = (st0 >= D30) & (st0 <= D90P)
        cured = dq & (u < p["cure"])
        new[cured] = CURRENT
        new[dq & ~cured & (st0 == D30)] = D60
        new[dq & ~cured & (st0 == D60)] = D90P
        to_fc = dq & ~cured & (st0 == D90P) & (rng.random(len(live)) < 0.25)
        new[to_fc] = FC
        fc = st0 == FC
        new[fc & (u < 0.2)] = DEFAULT
        # balances: current loans amortize on schedule; delinquent ones do not
        paid = (new == CURRENT) & (st0 == CURRENT)
        g_k = (1.0 + r[live]) ** (age + 1.0)
        sched = orig_upb[live] * (growth_n[live] - g_k) / (growth_n[live] - 1.0)
        bal = np.where(paid, np.maximum(np.minimum(sched, upb[live]), 0.0), upb[live])
        matured = paid & (age + 1 >= term[live])
        new[matured] = PREPAID
        loss = np.full(len(live), np.nan)
        dflt = new == DEFAULT
        value_now = orig_value[live] * mk.hpi_at(m) / hpi0[live]
        loss[dflt] = np.maximum(
            bal[dflt] * (1.0 + r[live][dflt] * 12) - 0.75 * value_now[dflt], 0.0
        )
        bal = np.where(new >= PREPAID, 0.0, bal)
        upb[live] = bal
        status[live] = new
        # first-month rows (no transition) and the transitions
        ids = np.concatenate([start, live])
        chunks["li"].append(ids.astype(np.int32))
        chunks["per"].append(np.full(len(ids), m, dtype=np.int32))
        chunks["age"].append(np.concatenate([np.zeros(len(start)), age + 0.0]).astype(np.int32))
        chunks["upb"].append(np.concatenate([orig_upb[start], bal]))
        chunks["st"].append(np.concatenate([np.zeros(len(start), np.int8), new]))
        chunks["loss"].append(np.concatenate([np.full(len(start), np.nan), loss]))
        nan0 = np.full(len(start), np.nan)
        probs["prepay"].append(np.concatenate([nan0, np.where(cur, pp, np.nan)]))
        probs["default"].append(np.concatenate([nan0, np.where(cur, pd_, np.nan)]))
        probs["cure"].append(np.concatenate([nan0, np.where(dq, p["cure"], np.nan)]))
    li = np.concatenate(chunks["li"])
    per = np.concatenate(chunks["per"])
    order = np.lexsort((per, li))
    lm = LoanMonths(
        loans=lf.reset_index(drop=True),
        loan_idx=li[order],
        period=per[order],
        loan_age=np.concatenate(chunks["age"])[order],
        upb=np.concatenate(chunks["upb"])[order],
        status=np.concatenate(chunks["st"])[order],
        loss=np.concatenate(chunks["loss"])[order],
    )
    truth = {k: np.concatenate(v)[order] for k, v in probs.items()}
    return SimulatedPanel(lm, mk, hz, truth)
