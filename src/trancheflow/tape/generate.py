"""Synthetic loan tapes with realistic joint distributions, seeded and vectorised.

The generator draws a pool of agency-style fixed-rate loans:

* **Age / vintage**: loan age is gamma distributed (mean about 3 years, long
  tail), capped below the term; the vintage is ``as_of`` minus the age.
* **Credit**: FICO and LTV come from a Gaussian copula with correlation
  ``-0.35`` (higher LTV, somewhat lower FICO); FICO is centred near 745 and
  clipped to [620, 850]; LTV near 0.76, clipped to [0.25, 0.97]; 12% of loans
  carry a second lien (CLTV above LTV). DTI is roughly normal around 0.36.
* **Note rate**: the vintage's market rate (approximate annual averages of
  Freddie Mac's Primary Mortgage Market Survey 30-year rate, rounded to
  0.1%, in :data:`VINTAGE_RATE`) plus credit add-ons (+25 bp per 40 FICO
  points below 740, +1% per unit of LTV above 0.80, +50 bp investor, +25 bp
  cash-out), a 15-year discount of 60 bp, and noise; rounded to 1/8%.
* **Product**: 30-year level pay dominates, 13% 15-year, 5% 20-year;
  ``io_share`` interest-only (10-year IO mostly) and ``balloon_share`` balloon
  loans (30-year amortisation, balloon at month 84 or 120).
* **State**: weights shaped like US origination volume (CA, TX, FL largest);
  rough figures for realism, not a published table.
* **Servicing fee**: 0.25%, 0.375% or 0.50%.
* **Delinquency**: about 96% current.

Balances amortise on schedule (IO loans pay no principal during the IO
period), less a small random curtailment, so ``current_balance`` never exceeds
``original_balance``. The tape always passes
:func:`~trancheflow.tape.validate.validate_tape`.

Examples
--------
>>> tape = generate_tape(1000, seed=7)
>>> len(tape), tape["loan_id"].is_unique
(1000, True)
>>> bool(tape["fico"].corr(tape["ltv"]) < 0)
True
>>> generate_tape(50, seed=3).equals(generate_tape(50, seed=3))
True
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from .validate import _normalise

__all__ = ["DEFAULT_AS_OF", "STATE_WEIGHTS", "VINTAGE_RATE", "generate_tape"]

DEFAULT_AS_OF = date(2025, 1, 1)
"""Used when ``as_of`` is None, so output never depends on the clock."""

VINTAGE_RATE: dict[int, float] = {
    2000: 0.081, 2001: 0.070, 2002: 0.065, 2003: 0.058, 2004: 0.058, 2005: 0.059,
    2006: 0.064, 2007: 0.063, 2008: 0.060, 2009: 0.050, 2010: 0.047, 2011: 0.045,
    2012: 0.037, 2013: 0.040, 2014: 0.042, 2015: 0.039, 2016: 0.036, 2017: 0.040,
    2018: 0.045, 2019: 0.039, 2020: 0.031, 2021: 0.030, 2022: 0.053, 2023: 0.068,
    2024: 0.067, 2025: 0.066,
}  # fmt: skip
"""Approximate annual average 30-year fixed mortgage rate by year (PMMS, rounded)."""

_BIG_STATES = {
    "CA": 13.0, "TX": 8.5, "FL": 8.0, "NY": 4.0, "WA": 3.5, "IL": 3.5, "NC": 3.5,
    "GA": 3.5, "VA": 3.0, "AZ": 3.0, "CO": 3.0, "PA": 3.0, "NJ": 3.0, "MI": 2.5,
    "OH": 2.5, "MA": 2.5, "MD": 2.0, "TN": 2.0, "MN": 2.0, "SC": 2.0, "UT": 1.6,
    "OR": 1.5, "IN": 1.5, "WI": 1.5, "MO": 1.5, "NV": 1.3,
}  # fmt: skip
# fmt: off
_SMALL_STATES = (
    "AL", "AK", "AR", "CT", "DE", "DC", "HI", "ID", "IA", "KS", "KY", "LA", "ME",
    "MS", "MT", "NE", "NH", "NM", "ND", "OK", "RI", "SD", "VT", "WV", "WY",
)
# fmt: on
STATE_WEIGHTS: dict[str, float] = {
    **_BIG_STATES,
    **{s: (100.0 - sum(_BIG_STATES.values()) - 0.2) / len(_SMALL_STATES) for s in _SMALL_STATES},
    "PR": 0.2,
}
"""Relative weights (percent) of property states in generated tapes."""

_DELINQUENCY = (
    ("current", 0.960),
    ("dpd30", 0.018),
    ("dpd60", 0.006),
    ("dpd90", 0.004),
    ("dpd120plus", 0.005),
    ("foreclosure", 0.005),
    ("reo", 0.002),
)
_MIN_AGE_FOR = {"dpd30": 1, "dpd60": 2, "dpd90": 3, "dpd120plus": 4, "foreclosure": 5, "reo": 6}


def _choice(rng: np.random.Generator, options: list[str], p: list[float], n: int) -> np.ndarray:
    w = np.asarray(p, dtype=float)
    return np.asarray(options, dtype=object)[rng.choice(len(options), size=n, p=w / w.sum())]


def _scheduled_balance(b0: np.ndarray, r: np.ndarray, n: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Balance after ``k`` level payments of a loan of ``n`` months at monthly rate ``r``."""
    g_n = (1.0 + r) ** n
    g_k = (1.0 + r) ** k
    return b0 * (g_n - g_k) / (g_n - 1.0)


def generate_tape(
    n_loans: int,
    *,
    seed: int = 0,
    as_of: date | None = None,
    io_share: float = 0.03,
    balloon_share: float = 0.02,
    freddie_compatible: bool = False,
) -> pd.DataFrame:
    """Draw a synthetic, valid, normalised loan tape.

    Parameters
    ----------
    n_loans : int
        Number of loans (>= 1).
    seed : int
        Seed of the numpy generator; the same arguments give the same tape.
    as_of : datetime.date, optional
        Tape date; vintages and first payment dates count back from it.
        Defaults to :data:`DEFAULT_AS_OF` (not today: output must be reproducible).
    io_share, balloon_share : float
        Shares of interest-only and balloon loans.
    freddie_compatible : bool
        Only draw loans the Freddie Mac layout can carry: no balloons, every
        IO loan with a 120-month IO period, no ``foreclosure`` status
        (see :mod:`trancheflow.tape.freddie`).

    Returns
    -------
    pandas.DataFrame
        A normalised tape with every schema column.

    Examples
    --------
    >>> t = generate_tape(3, seed=0, as_of=date(2024, 6, 1))
    >>> t[["loan_id", "original_term"]].values.tolist()[0][0]
    'TF00000001'
    """
    if freddie_compatible:
        balloon_share = 0.0
    if n_loans < 1:
        raise ValueError(f"n_loans must be >= 1, got {n_loans}")
    if not (io_share >= 0 and balloon_share >= 0 and io_share + balloon_share <= 1):
        raise ValueError(
            f"io_share ({io_share}) and balloon_share ({balloon_share}) must be "
            "shares in [0, 1] summing to at most 1"
        )
    as_of = as_of or DEFAULT_AS_OF
    rng = np.random.default_rng(seed)
    n = n_loans

    # Product and term.
    u = rng.random(n)
    amort = np.where(
        u < io_share,
        "interest_only",
        np.where(u < io_share + balloon_share, "balloon", "level_pay"),
    ).astype(object)
    term = rng.choice(np.array([360, 180, 240]), size=n, p=[0.82, 0.13, 0.05])
    is_io = amort == "interest_only"
    is_balloon = amort == "balloon"
    term = np.where(is_io | is_balloon, 360, term)
    io_term = np.where(
        is_io,
        120 if freddie_compatible else rng.choice([60, 84, 120], size=n, p=[0.2, 0.2, 0.6]),
        0,
    )
    balloon_term = np.where(is_balloon, rng.choice([84, 120], size=n), 0)

    # Age: gamma, capped below the term (and below the balloon month).
    age = np.floor(rng.gamma(1.5, 24.0, size=n)).astype(np.int64)
    cap = np.where(is_balloon, balloon_term - 1, term - 1)
    age = np.minimum(age, cap)
    as_of_month = as_of.year * 12 + as_of.month - 1
    first_pay_month = as_of_month - age
    vintage_year = (first_pay_month - 1) // 12  # originated the month before first payment
    years = np.array(sorted(VINTAGE_RATE))
    market = np.array([VINTAGE_RATE[y] for y in years])[
        np.clip(vintage_year, years[0], years[-1]) - years[0]
    ]

    # Credit: Gaussian copula, corr(FICO, LTV) < 0.
    rho = -0.35
    z_ltv = rng.standard_normal(n)
    z_fico = rho * z_ltv + np.sqrt(1 - rho**2) * rng.standard_normal(n)
    ltv = np.round(np.clip(0.76 + 0.13 * z_ltv, 0.25, 0.97), 4)
    fico = np.clip(np.round(745 + 45 * z_fico), 620, 850)
    second_lien = rng.random(n) < 0.12
    cltv = np.round(
        np.where(second_lien, np.minimum(ltv + rng.uniform(0.02, 0.15, n), 1.05), ltv), 4
    )
    dti = np.round(np.clip(rng.normal(0.36, 0.08, n), 0.05, 0.50), 3)

    occupancy = _choice(rng, ["owner", "second_home", "investor"], [0.88, 0.04, 0.08], n)
    purpose = _choice(rng, ["purchase", "cash_out_refi", "rate_term_refi"], [0.55, 0.2, 0.25], n)
    prop = _choice(
        rng,
        ["single_family", "pud", "condo", "two_to_four_unit", "manufactured", "coop"],
        [0.65, 0.20, 0.09, 0.03, 0.02, 0.01],
        n,
    )
    states = list(STATE_WEIGHTS)
    state = _choice(rng, states, [STATE_WEIGHTS[s] for s in states], n)

    rate = (
        market
        + 0.0025 * np.maximum(740 - fico, 0) / 40
        + 0.01 * np.maximum(ltv - 0.80, 0)
        + np.where(occupancy == "investor", 0.005, 0.0)
        + np.where(purpose == "cash_out_refi", 0.0025, 0.0)
        - np.where(term == 180, 0.006, 0.0)
        + np.where(is_io, 0.0025, 0.0)
        + rng.normal(0.0, 0.00125, n)
    )
    note_rate = np.clip(np.round(rate * 800) / 800, 0.01, 0.12)
    fee = rng.choice(np.array([0.0025, 0.00375, 0.005]), size=n, p=[0.6, 0.25, 0.15])

    orig_bal = np.round(np.clip(rng.lognormal(np.log(300_000), 0.5, n), 50_000, 1_500_000), -3)
    r = note_rate / 12
    amort_months = np.where(is_io, term - io_term, term)
    paid = np.where(is_io, np.maximum(age - io_term, 0), age)
    sched = _scheduled_balance(orig_bal, r, amort_months, paid)
    curtail = 1.0 - rng.uniform(0.0, 0.02, n) * np.minimum(age, 60) / 60
    cur_bal = np.round(np.maximum(sched * curtail, 0.0), 2)

    status_names = [s for s, _ in _DELINQUENCY if not (freddie_compatible and s == "foreclosure")]
    status_p = [p for s, p in _DELINQUENCY if s in status_names]
    status = _choice(rng, status_names, status_p, n)
    for name, min_age in _MIN_AGE_FOR.items():
        status[(status == name) & (age < min_age)] = "current"

    fpd = (first_pay_month - 1970 * 12).astype("datetime64[M]").astype("datetime64[s]")
    ids = np.char.add("TF", np.char.zfill(np.arange(1, n + 1).astype(str), 8)).astype(object)

    parsed = {
        "loan_id": pd.Series(ids),
        "original_balance": pd.Series(orig_bal),
        "current_balance": pd.Series(cur_bal),
        "note_rate": pd.Series(note_rate),
        "servicing_fee": pd.Series(fee),
        "original_term": pd.Series(term.astype(np.int64)),
        "loan_age": pd.Series(age),
        "remaining_term": pd.Series((term - age).astype(np.int64)),
        "first_payment_date": pd.Series(fpd),
        "ltv": pd.Series(ltv),
        "cltv": pd.Series(cltv),
        "fico": pd.Series(fico.astype(float)),
        "dti": pd.Series(dti),
        "occupancy": pd.Series(occupancy),
        "purpose": pd.Series(purpose),
        "property_type": pd.Series(prop),
        "state": pd.Series(state),
        "property_value": pd.Series(np.round(orig_bal / ltv, -2)),
        "amortization_type": pd.Series(amort),
        "io_term": pd.Series(io_term.astype(np.int64)),
        "balloon_term": pd.Series(balloon_term.astype(np.int64)),
        "delinquency_status": pd.Series(status),
    }
    return _normalise(pd.DataFrame(parsed), parsed)
