"""Scheduled amortization: closed form, QuantLib, interest-only and balloon loans."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import QuantLib as ql  # noqa: N813

from trancheflow.collateral import Assumptions, RepLine, project_pool

NONE = Assumptions("CPR 0", "CDR 0")


def _loan(kind: str = "level_pay", **kw: float) -> pd.DataFrame:
    row = {"current_balance": 250_000.0, "note_rate": 0.065, "net_rate": 0.06,
           "original_term": 360, "loan_age": 0, "remaining_term": 360,
           "amortization_type": kind, "io_term": 0, "balloon_term": 0}  # fmt: skip
    row.update(kw)
    return pd.DataFrame([row])


def _closed_form_balance(b: float, r: float, n: int, k: np.ndarray) -> np.ndarray:
    """Balance after k level payments of a loan of n months at monthly rate r."""
    return b * ((1 + r) ** n - (1 + r) ** k) / ((1 + r) ** n - 1)


@pytest.mark.parametrize(("rate", "n"), [(0.065, 360), (0.04, 180), (0.1125, 240)])
def test_level_pay_matches_closed_form(rate: float, n: int) -> None:
    b, r = 1_000_000.0, rate / 12
    cf = project_pool(RepLine(b, rate, rate, n, n, 0), NONE)
    k = np.arange(1, n + 1)
    bal = _closed_form_balance(b, r, n, k)
    np.testing.assert_allclose(cf["performing_balance"], bal, rtol=0, atol=1e-6)
    payment = b * r / (1 - (1 + r) ** -n)
    np.testing.assert_allclose(cf["scheduled_principal"] + cf["net_interest"], payment, rtol=1e-11)
    assert cf["total_principal"].sum() == pytest.approx(b, rel=1e-13)


@pytest.mark.parametrize(("rate", "years"), [(0.065, 30), (0.04, 15), (0.08, 30)])
def test_level_pay_matches_quantlib_amortizing_bond(rate: float, years: int) -> None:
    """QuantLib's sinking (mortgage-style) notionals and its coupon amounts on 30/360."""
    face = 100.0
    start = ql.Date(15, ql.January, 2024)
    schedule = ql.sinkingSchedule(start, ql.Period(years, ql.Years), ql.Monthly, ql.NullCalendar())
    notionals = ql.sinkingNotionals(ql.Period(years, ql.Years), ql.Monthly, rate, face)
    bond = ql.AmortizingFixedRateBond(
        0, notionals, schedule, [rate], ql.Thirty360(ql.Thirty360.BondBasis), ql.Unadjusted, start
    )
    interest, principal = [], []
    for c in bond.cashflows():
        if ql.as_coupon(c) is not None:
            interest.append(c.amount())
        else:
            principal.append(c.amount())
    n = years * 12
    assert len(interest) == len(principal) == n
    cf = project_pool(RepLine(face, rate, rate, n, n, 0), NONE)
    np.testing.assert_allclose(cf["scheduled_principal"], principal, rtol=0, atol=1e-8)
    np.testing.assert_allclose(cf["expected_interest"], interest, rtol=0, atol=1e-8)


def test_first_cash_flow_example_bma_sf4() -> None:
    """BMA SF-4/5: 9.0% net / 9.5% gross 360-month pass-through, 0.00025022 prepaid.

    0.00025022 is the 150% PSA prepayment of month 1 (0.3% CPR), so PSA 150 gives it.
    """
    cf = project_pool(RepLine(1.0, 0.095, 0.09, 360, 360, 0), Assumptions("PSA 150", "CDR 0"))
    first = cf.iloc[0]
    assert round(first["scheduled_principal"], 8) == 0.00049188
    assert round(first["voluntary_prepayment"], 8) == 0.00025022
    assert round(first["gross_interest"], 8) == 0.00791667
    assert round(first["servicing_fee"], 8) == 0.00041667
    assert round(first["total_principal"], 8) == 0.00074210
    assert round(first["net_interest"], 8) == 0.00750000
    assert round(first["total_cash_flow"], 8) == 0.00824210


def test_seasoned_loan_amortizes_over_wam_and_ages_the_ramp() -> None:
    b, r = 500_000.0, 0.07 / 12
    cf = project_pool(RepLine(b, 0.07, 0.07, 360, 300, 60), NONE)
    assert len(cf) == 300
    np.testing.assert_allclose(
        cf["performing_balance"], _closed_form_balance(b, r, 300, np.arange(1, 301)), atol=1e-6
    )
    # A 60-month-old loan is past the PSA ramp: 100 PSA = 6% CPR from period 1.
    aged = project_pool(RepLine(b, 0.07, 0.07, 360, 300, 60), Assumptions("PSA 100", "CDR 0"))
    assert aged["cpr"].iloc[0] == pytest.approx(0.06, rel=1e-12)
    new = project_pool(RepLine(b, 0.07, 0.07, 360, 360, 0), Assumptions("PSA 100", "CDR 0"))
    assert new["cpr"].iloc[0] == pytest.approx(0.002, rel=1e-12)


def test_interest_only_then_level_pay_over_remaining_term() -> None:
    b, rate = 300_000.0, 0.06
    cf = project_pool(_loan("interest_only", current_balance=b, note_rate=rate, net_rate=rate,
                            io_term=120), NONE)  # fmt: skip
    assert (cf.loc[:119, "scheduled_principal"] == 0).all()
    np.testing.assert_allclose(cf.loc[:119, "net_interest"], b * rate / 12, rtol=1e-13)
    r = rate / 12
    payment = b * r / (1 - (1 + r) ** -240)
    np.testing.assert_allclose(
        cf.loc[120:, "scheduled_principal"] + cf.loc[120:, "net_interest"], payment, rtol=1e-10
    )
    assert cf["performing_balance"].iloc[-1] == pytest.approx(0.0, abs=1e-6)
    assert cf["total_principal"].sum() == pytest.approx(b, rel=1e-13)


def test_seasoned_interest_only_counts_io_months_from_first_payment() -> None:
    cf = project_pool(_loan("interest_only", loan_age=100, remaining_term=260, io_term=120),
                      NONE)  # fmt: skip
    principal = cf["scheduled_principal"].to_numpy()
    assert (principal[:20] == 0).all()
    assert (principal[20:] > 0).all()


def test_interest_only_to_maturity_pays_bullet() -> None:
    cf = project_pool(_loan("interest_only", io_term=360), NONE)
    assert (cf["scheduled_principal"].iloc[:-1] == 0).all()
    assert cf["scheduled_principal"].iloc[-1] == pytest.approx(250_000.0, rel=1e-15)


def test_balloon_amortizes_on_original_term_and_pays_off_at_balloon_month() -> None:
    b, rate = 400_000.0, 0.055
    r = rate / 12
    for wam in (360, 84):  # remaining term to amortization end, or to the balloon
        cf = project_pool(_loan("balloon", current_balance=b, note_rate=rate, net_rate=rate,
                                remaining_term=wam, balloon_term=84), NONE)  # fmt: skip
        assert len(cf) == 84
        expected = _closed_form_balance(b, r, 360, np.arange(1, 84))
        np.testing.assert_allclose(cf["performing_balance"].iloc[:83], expected, atol=1e-6)
        # the whole balance outstanding after 83 payments is due in month 84
        assert cf["scheduled_principal"].iloc[-1] == pytest.approx(expected[-1], rel=1e-12)
        assert cf["performing_balance"].iloc[-1] == 0.0
        assert cf["total_principal"].sum() == pytest.approx(b, rel=1e-13)


def test_seasoned_balloon() -> None:
    cf = project_pool(_loan("balloon", loan_age=24, remaining_term=336, balloon_term=60), NONE)
    assert len(cf) == 36
    r = 0.065 / 12
    expected = _closed_form_balance(250_000.0, r, 336, np.arange(1, 36))
    np.testing.assert_allclose(cf["performing_balance"].iloc[:35], expected, atol=1e-6)


def test_zero_rate_loan_pays_equal_principal() -> None:
    cf = project_pool(RepLine(12_000.0, 0.0, 0.0, 120, 120, 0), NONE)
    np.testing.assert_allclose(cf["scheduled_principal"], 100.0, rtol=1e-12)
    assert (cf["net_interest"] == 0).all()


def test_servicing_fee_is_gross_minus_net_strip() -> None:
    cf = project_pool(_loan(), NONE)
    np.testing.assert_allclose(
        cf["servicing_fee"], cf["beginning_balance"] * (0.065 - 0.06) / 12, rtol=1e-12
    )
    np.testing.assert_allclose(
        cf["gross_interest"], cf["beginning_balance"] * 0.065 / 12, rtol=1e-12
    )
    # amortization runs on the gross rate, not the net rate
    r = 0.065 / 12
    np.testing.assert_allclose(
        cf["scheduled_principal"] + cf["gross_interest"],
        250_000.0 * r / (1 - (1 + r) ** -360),
        rtol=1e-10,
    )
