"""Hypothesis properties of the projection: conservation, completeness, signs, monotonicity."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from trancheflow.collateral import CASHFLOW_COLUMNS, Assumptions, RepLine, project_pool
from trancheflow.collateral.path_kernel import project_paths
from trancheflow.collateral.prepay_model import RefiPrepayModel, kernel_coefficients, model_smm

COLS = {c: k for k, c in enumerate(CASHFLOW_COLUMNS)}

prepays = st.one_of(
    st.integers(0, 1666).map(lambda v: f"PSA {v}"),
    st.floats(0, 60).map(lambda v: f"CPR {v:.4f}"),
    st.floats(0, 10).map(lambda v: f"SMM {v:.4f}"),
    st.lists(st.floats(0, 50), min_size=2, max_size=6).map(
        lambda v: "CPR " + " ".join(f"{x:.3f}" for x in v)
    ),
)
defaults = st.one_of(
    st.integers(0, 2000).map(lambda v: f"SDA {v}"),
    st.floats(0, 30).map(lambda v: f"CDR {v:.4f}"),
    st.floats(0, 5).map(lambda v: f"MDR {v:.4f}"),
)
assumptions = st.builds(
    Assumptions,
    prepays,
    defaults,
    severity=st.floats(0, 1),
    recovery_lag=st.integers(0, 24),
    advance=st.booleans(),
)


@st.composite
def tapes(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(1, 6))
    rows = []
    for _ in range(n):
        term = draw(st.sampled_from([60, 120, 180, 360]))
        age = draw(st.integers(0, term - 1))
        kind = draw(st.sampled_from(["level_pay", "interest_only", "balloon"]))
        note = draw(st.floats(0.0, 0.15))
        rows.append(
            {
                "current_balance": draw(st.floats(1.0, 2e6)),
                "note_rate": note,
                "net_rate": note * draw(st.floats(0.5, 1.0)),
                "original_term": term,
                "loan_age": age,
                "remaining_term": term - age,
                "amortization_type": kind,
                "io_term": draw(st.integers(0, term)) if kind == "interest_only" else 0,
                "balloon_term": draw(st.integers(age + 1, term)) if kind == "balloon" else 0,
            }
        )
    return pd.DataFrame(rows)


@given(tapes(), assumptions)
def test_balance_conservation_every_period(tape: pd.DataFrame, a: Assumptions) -> None:
    cf = project_pool(tape, a)
    total = tape["current_balance"].sum()
    tol = 1e-9 * total
    # PERF(t) = PERF(t-1) - NEW DEF - VOL PREPAY - ACT AM (BMA SF-18)
    perf_begin = np.r_[total, cf["performing_balance"].to_numpy()[:-1]]
    np.testing.assert_allclose(
        perf_begin - cf["new_defaults"] - cf["voluntary_prepayment"] - cf["actual_amortization"],
        cf["performing_balance"],
        atol=tol,
    )
    # beginning - ending = principal paid to investors + losses
    np.testing.assert_allclose(
        cf["beginning_balance"] - cf["ending_balance"],
        cf["total_principal"] + cf["loss"],
        atol=tol,
    )
    np.testing.assert_allclose(cf["beginning_balance"].iloc[1:], cf["ending_balance"].iloc[:-1])
    np.testing.assert_allclose(
        cf["total_cash_flow"], cf["net_interest"] + cf["total_principal"], atol=tol
    )
    np.testing.assert_allclose(
        cf["gross_interest"], cf["net_interest"] + cf["servicing_fee"], atol=tol
    )


@given(tapes(), assumptions)
def test_run_to_maturity_returns_whole_balance(tape: pd.DataFrame, a: Assumptions) -> None:
    cf = project_pool(tape, a)
    total = tape["current_balance"].sum()
    assert abs(cf["total_principal"].sum() + cf["loss"].sum() - total) <= 1e-9 * total
    assert abs(cf["ending_balance"].iloc[-1]) <= 1e-9 * total
    assert abs(cf["cumulative_defaults"].iloc[-1] - cf["new_defaults"].sum()) <= 1e-9 * total


@given(tapes(), assumptions)
def test_no_negative_balances_or_flows(tape: pd.DataFrame, a: Assumptions) -> None:
    cf = project_pool(tape, a)
    tol = -1e-9 * tape["current_balance"].sum()
    for col in CASHFLOW_COLUMNS:
        assert cf[col].min() >= tol, col
    assert (cf[["smm", "mdr"]] <= 1 + 1e-12).all().all()


@given(
    st.floats(0.01, 0.12),
    st.sampled_from([180, 360]),
    st.integers(0, 100),
    st.integers(0, 800),
    st.integers(1, 800),
)
def test_higher_psa_shortens_wal(rate: float, term: int, wala: int, psa: int, bump: int) -> None:
    wala = min(wala, term - 1)
    line = RepLine(1e6, rate, rate, term, term - wala, wala)

    def wal(speed: int) -> float:
        cf = project_pool(line, Assumptions(f"PSA {speed}", "CDR 0"))
        return float((cf["total_principal"] * cf["period"]).sum() / cf["total_principal"].sum())

    assert wal(psa + bump) <= wal(psa) + 1e-9


@given(st.integers(0, 800), st.integers(1, 800), st.integers(1, 500))
def test_faster_prepayment_lowers_cumulative_defaults(psa: int, bump: int, sda: int) -> None:
    # BMA SF-18 (h): defaults are a share of the performing balance, so a higher
    # prepayment speed at the same default speed means fewer cumulative defaults.
    line = RepLine(1e6, 0.08, 0.08, 360, 360, 0)

    def cum(speed: int) -> float:
        cf = project_pool(line, Assumptions(f"PSA {speed}", f"SDA {sda}", 0.3, 12))
        return float(cf["cumulative_defaults"].iloc[-1])

    assert cum(psa + bump) <= cum(psa) + 1e-9


@given(tapes(), assumptions)
def test_numba_equals_numpy_reference(tape: pd.DataFrame, a: Assumptions) -> None:
    fast = project_pool(tape, a)[list(CASHFLOW_COLUMNS)].to_numpy()
    slow = project_pool(tape, a, engine="numpy")[list(CASHFLOW_COLUMNS)].to_numpy()
    np.testing.assert_allclose(fast, slow, rtol=1e-9, atol=1e-9 * tape["current_balance"].sum())


# ---------------------------------------------------------------- rate-driven prepayment model
@st.composite
def prepay_models(draw: st.DrawFn) -> RefiPrepayModel:
    """Any model a user can set in a YAML file (within the validated ranges)."""
    season = np.array(draw(st.lists(st.floats(0.05, 3.0), min_size=12, max_size=12)))
    season = season / season.mean()
    kind = draw(st.sampled_from(["spread", "ratio"]))
    return RefiPrepayModel(
        turnover_cpr=draw(st.floats(0.0, 0.3)),
        refi_max_cpr=draw(st.floats(0.0, 0.9)),
        midpoint=draw(st.floats(-3.0, 3.0) if kind == "spread" else st.floats(-30.0, 60.0)),
        slope=draw(st.floats(0.05, 20.0) if kind == "spread" else st.floats(0.01, 2.0)),
        s_curve=draw(st.sampled_from(["arctan", "logistic"])),
        incentive=kind,
        burnout_floor=draw(st.floats(0.0, 1.0)),
        seasoning_months=draw(st.floats(1.0, 120.0)),
        seasonality=tuple(float(x) for x in season),
        cap_cpr=draw(st.floats(0.05, 0.9)),
    )


@given(
    prepay_models(),
    st.floats(0.01, 0.15),
    st.floats(0.005, 0.15),
    st.floats(0.005, 0.15),
    st.integers(1, 400),
    st.floats(0.0, 1.0),
    st.integers(1, 12),
)
def test_cpr_is_non_decreasing_in_incentive(
    m: RefiPrepayModel, note: float, r1: float, r2: float, age: int, s: float, moy: int
) -> None:
    """At every age, month and burnout state, a lower mortgage rate never lowers the CPR;
    the kernels' vectorised model function keeps the order to its approximation error."""
    lo, hi = sorted((r1, r2))
    fast, slow = (m.cpr(note, r, age, survival=s, month_of_year=moy) for r in (lo, hi))
    assert fast >= slow - 1e-15
    zn, za, zb = m.incentive_coordinates(note, np.array([lo, hi]))
    scale = float(m.seasoning(age)) * m.seasonality[moy - 1]
    p, c = tuple(m.kernel_params()), kernel_coefficients(np.float64)
    k_fast, k_slow = (model_smm(m.kind, zn * za[k] - zb[k], scale, s, p, c) for k in (0, 1))
    assert k_fast >= k_slow - 1e-9


@given(
    prepay_models(),
    st.floats(0.03, 0.10),
    st.integers(0, 60),
    st.integers(0, 2**32 - 1),
    st.floats(0.0, 0.004),
    st.floats(0.0, 0.03),
    st.floats(0.0, 1.0),
)
def test_wal_and_balances_do_not_increase_as_rates_fall(
    m: RefiPrepayModel, note: float, wala: int, seed: int, vol: float, size: float, share: float
) -> None:
    """Path 2's mortgage rate is path 1's less a non-negative drop in every month:
    its balance is never higher in any month, so its WAL is never longer (burnout
    damps the response but cannot reverse it)."""
    line = RepLine(1e6, note, note - 0.005, 360, 360 - wala, wala)
    rng = np.random.default_rng(seed)
    path1 = np.clip(0.06 + np.cumsum(rng.normal(0.0, vol, 360)), 0.01, 0.2)
    drop = size * rng.uniform(0.0, 1.0, 360) * (rng.uniform(0.0, 1.0, 360) < share)
    path2 = np.maximum(path1 - drop, 0.005)
    cube = project_paths(line, m, np.vstack([path1, path2]), Assumptions("CPR 0", "CDR 0"))
    bal = cube[:, :, COLS["ending_balance"]]
    assert np.all(bal[1] <= bal[0] * (1 + 1e-12) + 1e-6)
    t = np.arange(1, bal.shape[1] + 1)
    prin = cube[:, :, COLS["total_principal"]]
    wal = (prin * t).sum(axis=1) / prin.sum(axis=1) / 12
    assert wal[1] <= wal[0] + 1e-9
