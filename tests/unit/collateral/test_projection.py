"""Projection behaviour: advancing, rep lines vs loans, numba vs numpy, API contracts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from trancheflow.collateral import (
    CASHFLOW_COLUMNS,
    Assumptions,
    RepLine,
    project_pool,
    project_scenarios,
)
from trancheflow.errors import AssumptionError, TapeError, TapeValidationError

FIXED = [
    "period",
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
]


def random_tape(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    term = rng.choice([120, 180, 240, 360], n)
    age = (rng.random(n) * (term - 1)).astype(int)
    kind = rng.choice(["level_pay", "interest_only", "balloon"], n, p=[0.7, 0.15, 0.15])
    note = rng.uniform(0.0, 0.11, n)
    note[rng.random(n) < 0.05] = 0.0
    return pd.DataFrame(
        {
            "current_balance": rng.uniform(1_000, 900_000, n),
            "note_rate": note,
            "net_rate": note * rng.uniform(0.8, 1.0, n),
            "original_term": term,
            "loan_age": age,
            "remaining_term": term - age,
            "amortization_type": kind,
            "io_term": np.where(kind == "interest_only", rng.integers(0, 150, n), 0),
            "balloon_term": np.where(kind == "balloon", age + rng.integers(1, 100, n), 0),
        }
    )


def test_output_columns_are_fixed_and_documented() -> None:
    cf = project_pool(RepLine(1e5, 0.06, 0.055, 360, 360, 0), Assumptions("PSA 100", "SDA 100"))
    assert list(cf.columns[: len(FIXED)]) == FIXED
    assert tuple(cf.columns[1:]) == CASHFLOW_COLUMNS
    assert cf["period"].tolist() == list(range(1, 361))
    import trancheflow.collateral.projection as proj

    for col in CASHFLOW_COLUMNS:
        assert f"``{col}``" in (proj.__doc__ or ""), col


ASSUMPTION_GRID = [
    Assumptions("PSA 150", "SDA 100", severity=0.35, recovery_lag=12, advance=True),
    Assumptions("PSA 150", "SDA 100", severity=0.35, recovery_lag=12, advance=False),
    Assumptions("CPR 8", "CDR 3", severity=0.6, recovery_lag=0, advance=True),
    Assumptions("SMM 2", "MDR 1", severity=1.0, recovery_lag=1, advance=False),
    Assumptions("CPR 2 4 6 8 10 40", "CDR 0 1 5 2", severity=0.2, recovery_lag=6),
    Assumptions("PSA 400", "SDA 300", severity=0.5, recovery_lag=30),
]


@pytest.mark.parametrize("a", ASSUMPTION_GRID, ids=str)
def test_numba_kernel_matches_numpy_reference(a: Assumptions) -> None:
    tape = random_tape(300, seed=7)
    fast = project_pool(tape, a)
    slow = project_pool(tape, a, engine="numpy")
    scale = tape["current_balance"].sum()
    for col in CASHFLOW_COLUMNS:
        np.testing.assert_allclose(fast[col], slow[col], rtol=1e-9, atol=1e-9 * scale, err_msg=col)


def test_rep_line_equals_single_loan_tape() -> None:
    line = RepLine(350_000.0, 0.0675, 0.0625, term=360, wam=331, wala=29)
    tape = pd.DataFrame(
        [
            {
                "current_balance": 350_000.0,
                "note_rate": 0.0675,
                "net_rate": 0.0625,
                "original_term": 360,
                "loan_age": 29,
                "remaining_term": 331,
                "amortization_type": "level_pay",
                "io_term": 0,
                "balloon_term": 0,
            }
        ]
    )
    a = Assumptions("PSA 175", "SDA 150", severity=0.4, recovery_lag=9)
    pd.testing.assert_frame_equal(project_pool(line, a), project_pool(tape, a))
    # a list of rep lines is their sum
    two = project_pool([line, line], a)
    np.testing.assert_allclose(
        two[list(CASHFLOW_COLUMNS[:17])],
        2 * project_pool(line, a)[list(CASHFLOW_COLUMNS[:17])],
        rtol=1e-12,
        atol=1e-9,
    )


def test_loan_level_is_linear_in_balance() -> None:
    tape = random_tape(1, seed=3)
    tape = pd.concat([tape] * 3, ignore_index=True)
    tape["current_balance"] = [1.0, 2.0, 7.0]
    a = Assumptions("PSA 200", "SDA 200", severity=0.3, recovery_lag=4)
    pool = project_pool(tape, a)
    one = project_pool(tape.iloc[[0]], a)
    np.testing.assert_allclose(pool["total_cash_flow"], 10 * one["total_cash_flow"], rtol=1e-12)


def test_advance_vs_no_advance() -> None:
    line = RepLine(1e8, 0.08, 0.075, 360, 360, 0)
    adv = project_pool(line, Assumptions("PSA 150", "SDA 300", 0.4, 12, advance=True))
    noa = project_pool(line, Assumptions("PSA 150", "SDA 300", 0.4, 12, advance=False))
    # defaults, prepayments and performing-loan amortization do not depend on advancing
    for col in (
        "performing_balance",
        "new_defaults",
        "voluntary_prepayment",
        "actual_amortization",
    ):
        np.testing.assert_allclose(adv[col], noa[col], rtol=1e-12, err_msg=col)
    # foreclosures keep their default balance (and owe interest on it) when not advanced
    assert (noa["foreclosure_balance"] >= adv["foreclosure_balance"] - 1e-6).all()
    assert (noa["interest_lost"] >= adv["interest_lost"] - 1e-9).all()
    # not advanced: lost interest is lost, no principal advanced, foreclosures do not amortize
    np.testing.assert_allclose(noa["net_interest"], noa["expected_interest"] - noa["interest_lost"])
    np.testing.assert_allclose(adv["net_interest"], adv["expected_interest"])
    assert (noa["advanced_principal"] == 0).all()
    np.testing.assert_allclose(adv["advanced_principal"], adv["defaulted_amortization"])
    lagged = noa["new_defaults"].shift(12, fill_value=0.0)
    np.testing.assert_allclose(noa["amortized_default_balance"], lagged, rtol=1e-12, atol=1e-6)
    np.testing.assert_allclose(noa["loss"], 0.4 * lagged, rtol=1e-12, atol=1e-6)
    # advanced: liquidated balance is the default balance amortized over the lag
    assert (adv["amortized_default_balance"].iloc[12:300] < lagged.iloc[12:300]).all()
    # same loss (severity x default balance) until the advanced balance runs below it near
    # maturity, where BMA caps the loss at the amortized default balance (SF-19 note i)
    np.testing.assert_allclose(adv["loss"][:340], noa["loss"][:340], rtol=1e-12, atol=1e-6)
    assert (adv["loss"] <= noa["loss"] + 1e-9).all()
    np.testing.assert_allclose(
        adv["loss"], np.minimum(0.4 * lagged, adv["amortized_default_balance"]), atol=1e-6
    )
    # over the life both return the whole balance as principal or loss
    for cf in (adv, noa):
        assert cf["total_principal"].sum() + cf["loss"].sum() == pytest.approx(1e8, rel=1e-12)
    assert adv["total_cash_flow"].sum() > noa["total_cash_flow"].sum()
    # servicing fee only on collected interest when not advancing
    assert (noa["servicing_fee"] <= adv["servicing_fee"] + 1e-9).all()


def test_zero_lag_zero_severity_default_is_a_full_payoff() -> None:
    # BMA SF-18 (g): 0 months to liquidation and 0% severity return the defaulted
    # balance as principal in the month of default.
    cf = project_pool(RepLine(1e6, 0.07, 0.07, 360, 360, 0), Assumptions("CPR 0", "MDR 2"))
    np.testing.assert_allclose(cf["recovery"], cf["new_defaults"], rtol=1e-15)
    assert (cf["loss"] == 0).all()
    assert (cf["foreclosure_balance"].abs() < 1e-6).all()


def test_severity_one_loses_everything_not_advanced() -> None:
    cf = project_pool(
        RepLine(1e6, 0.07, 0.07, 360, 360, 0),
        Assumptions("CPR 5", "CDR 5", severity=1.0, recovery_lag=6),
    )
    assert cf["recovery"].sum() == pytest.approx(0.0, abs=1e-6)
    # the advanced amortization is the only principal the defaulted loans returned
    assert cf["loss"].sum() == pytest.approx(
        cf["new_defaults"].sum() - cf["defaulted_amortization"].sum(), rel=1e-10
    )


def test_n_periods_truncates_and_pads() -> None:
    line = RepLine(1e6, 0.05, 0.045, 360, 360, 0)
    a = Assumptions("PSA 100", "SDA 100", 0.3, 6)
    full = project_pool(line, a)
    short = project_pool(line, a, n_periods=120)
    pd.testing.assert_frame_equal(short, full.iloc[:120])
    long = project_pool(line, a, n_periods=400)
    pd.testing.assert_frame_equal(long.iloc[:360], full)
    assert (long.iloc[360:][list(CASHFLOW_COLUMNS[:16])] == 0).all().all()
    with pytest.raises(AssumptionError, match="n_periods"):
        project_pool(line, a, n_periods=-1)


def test_project_scenarios_stacks_project_pool() -> None:
    tape = random_tape(50, seed=11)
    scen = ASSUMPTION_GRID[:3]
    out = project_scenarios(tape, scen)
    assert out.shape == (3, int(tape["remaining_term"].max()), len(CASHFLOW_COLUMNS))
    for k, a in enumerate(scen):
        np.testing.assert_allclose(out[k], project_pool(tape, a)[list(CASHFLOW_COLUMNS)].to_numpy())
    np.testing.assert_allclose(
        project_scenarios(tape, scen, engine="numpy"),
        out,
        rtol=1e-9,
        atol=1e-9 * tape["current_balance"].sum(),
    )


def test_speed_scaling_for_effective_duration() -> None:
    base = parse = Assumptions("PSA 150", "CDR 0")
    del parse
    up = Assumptions(base.prepay.scaled(1.25), base.default)
    assert str(up.prepay) == "PSA 187.5"
    line = RepLine(1e6, 0.06, 0.06, 360, 360, 0)
    out = project_scenarios(line, [base, up])
    prin = out[:, :, CASHFLOW_COLUMNS.index("total_principal")]
    wal = (prin * np.arange(1, 361)).sum(axis=1) / prin.sum(axis=1) / 12
    assert wal[1] < wal[0]


def test_pool_with_servicing_fee_instead_of_net_rate_and_defaults() -> None:
    tape = pd.DataFrame(
        {
            "current_balance": [1e5],
            "note_rate": [0.07],
            "servicing_fee": [0.005],
            "original_term": [360],
            "loan_age": [0],
            "remaining_term": [360],
        }
    )
    cf = project_pool(tape, Assumptions("CPR 0", "CDR 0"))
    assert cf["expected_interest"].iloc[0] == pytest.approx(1e5 * 0.065 / 12)
    assert cf["servicing_fee"].iloc[0] == pytest.approx(1e5 * 0.005 / 12)


def test_zero_balance_loans_are_skipped_and_empty_pool_gives_no_rows() -> None:
    tape = random_tape(3, seed=5)
    tape.loc[1, "current_balance"] = 0.0
    a = Assumptions("PSA 100", "CDR 1")
    pd.testing.assert_frame_equal(
        project_pool(tape, a),
        project_pool(tape.drop(index=1), a).pipe(lambda f: f),
        check_exact=False,
        rtol=1e-12,
    )
    assert len(project_pool(tape.iloc[:0], a)) == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"note_rate": np.nan}, "note_rate"),
        ({"current_balance": -5.0}, "current_balance"),
        ({"amortization_type": "arm"}, "amortization_type"),
        ({"remaining_term": 12.5}, "remaining_term"),
        ({"net_rate": 0.2}, "net_rate"),
        ({"amortization_type": "balloon", "balloon_term": 3, "loan_age": 10}, "balloon_term"),
    ],
)
def test_bad_tape_rows_are_named(change: dict[str, object], field: str) -> None:
    tape = random_tape(4, seed=1)
    for col in ("loan_age", "remaining_term", "balloon_term"):
        tape[col] = tape[col].astype(float)
    tape["amortization_type"] = tape["amortization_type"].astype(object)
    for key, value in change.items():
        tape.loc[2, key] = value
    with pytest.raises(TapeValidationError) as info:
        project_pool(tape, Assumptions("PSA 100", "CDR 0"))
    assert f"row 3, field {field!r}" in str(info.value)


def test_missing_column_and_bad_inputs() -> None:
    tape = random_tape(2, seed=1).drop(columns=["remaining_term"])
    with pytest.raises(TapeValidationError, match="'remaining_term': required column is missing"):
        project_pool(tape, Assumptions("PSA 100", "CDR 0"))
    with pytest.raises(TapeError, match="not a DataFrame, RepLine"):
        project_pool({"a": 1}, Assumptions("PSA 100", "CDR 0"))  # type: ignore[arg-type]
    with pytest.raises(AssumptionError, match="must be an Assumptions"):
        project_pool(RepLine(1.0, 0.05, 0.05, 12, 12, 0), "PSA 100")  # type: ignore[arg-type]
    with pytest.raises(AssumptionError, match="engine"):
        project_pool(
            RepLine(1.0, 0.05, 0.05, 12, 12, 0), Assumptions("PSA 1", "CDR 0"), engine="fortran"
        )  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"severity": -0.1}, "severity"),
        ({"recovery_lag": 2.5}, "recovery_lag"),
        ({"recovery_lag": -1}, "recovery_lag"),
    ],
)
def test_assumption_validation(kwargs: dict[str, float], fragment: str) -> None:
    with pytest.raises(AssumptionError, match=fragment):
        Assumptions("PSA 100", "SDA 100", **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"net_rate": 0.09}, "net_rate"),
        ({"wam": 0}, "wam"),
        ({"balance": -1.0}, "balance"),
        ({"amortization_type": "arm"}, "amortization_type"),
        ({"gross_rate": 1.5}, "gross_rate"),
    ],
)
def test_rep_line_validation(kwargs: dict[str, object], fragment: str) -> None:
    base: dict[str, object] = {
        "balance": 1.0,
        "gross_rate": 0.08,
        "net_rate": 0.075,
        "term": 360,
        "wam": 360,
        "wala": 0,
    }
    base.update(kwargs)
    with pytest.raises(AssumptionError, match=fragment):
        RepLine(**base)  # type: ignore[arg-type]


def test_progress_callback_reports_all_loans() -> None:
    calls: list[tuple[int, int]] = []
    tape = random_tape(10, seed=2)
    project_pool(tape, Assumptions("PSA 100", "CDR 0"), progress=lambda d, t: calls.append((d, t)))
    assert calls[-1] == (10, 10)
