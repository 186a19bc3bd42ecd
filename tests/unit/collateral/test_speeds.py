"""Speeds: the BMA standard curves, rate conversions and market notation.

Reference: The Bond Market Association, "Uniform Practices / Standard Formulas"
Chapter SF (02/01/99), cited below as "BMA SF-<page>".
"""

from __future__ import annotations

import numpy as np
import pytest

from trancheflow.collateral import (
    DefaultSpeed,
    PrepaySpeed,
    cpr_to_smm,
    parse_default,
    parse_prepay,
    psa_cpr,
    sda_cdr,
    smm_to_cpr,
)
from trancheflow.errors import ModelError, SpeedNotationError

# BMA SF-10, "Conversion of One-Month PSA to SMM Based on Months after Mortgage
# Origination": SMM (percent, 2 dp) for months 1..30 at 100% and 1000% PSA.
SF10_PSA100 = [0.02, 0.03, 0.05, 0.07, 0.08, 0.10, 0.12, 0.13, 0.15, 0.17, 0.19, 0.20, 0.22,
               0.24, 0.25, 0.27, 0.29, 0.31, 0.32, 0.34, 0.36, 0.37, 0.39, 0.41, 0.43, 0.44,
               0.46, 0.48, 0.50, 0.51]  # fmt: skip
SF10_PSA1000 = [0.17, 0.34, 0.51, 0.69, 0.87, 1.06, 1.25, 1.44, 1.64, 1.84, 2.05, 2.26, 2.48,
                2.70, 2.93, 3.16, 3.40, 3.65, 3.91, 4.17, 4.44, 4.72, 5.01, 5.30, 5.61, 5.93,
                6.27, 6.61, 6.97, 7.35]  # fmt: skip
# Same table, month 30 row, for every printed PSA column (50 .. 1000).
SF10_MONTH30 = {50: 0.25, 100: 0.51, 150: 0.78, 200: 1.06, 250: 1.35, 300: 1.64, 350: 1.95,
                400: 2.26, 450: 2.59, 500: 2.93, 550: 3.28, 600: 3.65, 650: 4.04, 700: 4.44,
                750: 4.86, 800: 5.30, 850: 5.77, 900: 6.27, 950: 6.79, 1000: 7.35}  # fmt: skip


def test_psa_to_smm_matches_bma_sf10_columns() -> None:
    months = np.arange(1, 31)
    smm100 = PrepaySpeed("PSA", (100,)).monthly_rate(months) * 100
    smm1000 = PrepaySpeed("PSA", (1000,)).monthly_rate(months) * 100
    np.testing.assert_array_equal(np.round(smm100, 2), SF10_PSA100)
    np.testing.assert_array_equal(np.round(smm1000, 2), SF10_PSA1000)


@pytest.mark.parametrize(("psa", "smm_pct"), sorted(SF10_MONTH30.items()))
def test_psa_month30_row_of_bma_sf10(psa: int, smm_pct: float) -> None:
    assert round(float(parse_prepay(f"PSA {psa}").monthly_rate([30])[0]) * 100, 2) == smm_pct


# BMA SF-9 "Prepayment Rate Conversion Table": SMM% -> CPR% (1 dp) -> PSA (whole,
# valid after month 29).
SF9_ROWS = [(0.05, 0.6, 10), (0.50, 5.8, 97), (1.00, 11.4, 189), (2.25, 23.9, 398),
            (2.30, 24.4, 406), (4.50, 42.5, 708), (4.55, 42.8, 714), (6.75, 56.8, 946),
            (7.35, 60.0, 1000), (9.00, 67.8, 1129)]  # fmt: skip


@pytest.mark.parametrize(("smm", "cpr", "psa"), SF9_ROWS)
def test_smm_cpr_psa_conversion_table_bma_sf9(smm: float, cpr: float, psa: int) -> None:
    c = float(smm_to_cpr(smm / 100)) * 100
    assert round(c, 1) == cpr
    assert round(c / 6.0 * 100) == psa
    assert float(cpr_to_smm(c / 100)) * 100 == pytest.approx(smm, rel=1e-12)


def test_pool_speed_example_bma_sf7_sf8() -> None:
    """BMA SF-7/8: GNMA 9.0% (9.5% gross), factors 0.85150625 -> 0.84732282, month 17."""
    g = 9.5 / 1200

    def bal(m: int) -> float:
        return (1 - (1 + g) ** -m) / (1 - (1 + g) ** -359)

    bal1, bal2 = bal(344), bal(343)
    assert round(bal1, 8) == 0.99213300
    assert round(bal2, 8) == 0.99157471
    f1, f2 = 0.85150625, 0.84732282
    fsched = f1 * bal2 / bal1
    assert round(fsched, 8) == 0.85102709
    smm = (fsched - f2) / fsched
    assert round(smm * 100, 6) == 0.435270
    cpr = float(smm_to_cpr(smm))
    assert round(cpr * 100, 4) == 5.1000
    # the PSA speed whose month-17 CPR equals the pool's CPR
    assert round(cpr / float(psa_cpr(17)) * 100, 2) == 150.00


def test_psa_ramp_definition_bma_sf6() -> None:
    # 0.2% CPR per month of age to 6% at month 30, flat after; MONTH < 1 counts as 1.
    months = np.arange(0, 400)
    expected = 0.002 * np.clip(months, 1, 30)
    np.testing.assert_allclose(psa_cpr(months), expected, rtol=0, atol=1e-15)
    assert float(psa_cpr(30, 2000)) == 1.0  # capped at 100% CPR


# BMA SF-31..SF-34 (Cash Flow B, 100% SDA): "Annual Default Rate" and "Monthly
# Default Rate" columns.
SF_CASHFLOW_B_SDA = {1: (0.000200, 0.000017), 10: (0.002000, 0.000167),
                     30: (0.006000, 0.000501), 60: (0.006000, 0.000501),
                     61: (0.005905, 0.000493), 62: (0.005810, 0.000485),
                     84: (0.003720, 0.000311), 96: (0.002580, 0.000215),
                     119: (0.000395, 0.000033), 120: (0.000300, 0.000025),
                     240: (0.000300, 0.000025)}  # fmt: skip


@pytest.mark.parametrize(("month", "rates"), sorted(SF_CASHFLOW_B_SDA.items()))
def test_sda_curve_matches_cash_flow_b(month: int, rates: tuple[float, float]) -> None:
    cdr, mdr = rates
    assert round(float(sda_cdr(month)), 6) == cdr
    assert round(float(parse_default("SDA 100").monthly_rate([month])[0]), 6) == mdr


def test_sda_definition_bma_sf20() -> None:
    m = np.arange(1, 361)
    cdr = sda_cdr(m) * 100
    np.testing.assert_allclose(cdr[:30], 0.02 * m[:30], atol=1e-12)
    assert np.all(cdr[29:60] == pytest.approx(0.6))
    np.testing.assert_allclose(cdr[60:120], 0.6 - 0.0095 * (m[60:120] - 60), atol=1e-12)
    assert np.all(cdr[119:] == pytest.approx(0.03))


# BMA SF-31 (Cash Flow B, 150% PSA): "Monthly Prepay Rate" column.
@pytest.mark.parametrize(
    ("month", "smm"),
    [(1, 0.000250), (2, 0.000501), (3, 0.000753), (10, 0.002535), (20, 0.005143),
     (29, 0.007556), (30, 0.007828), (200, 0.007828)],
)  # fmt: skip
def test_psa150_monthly_rates_cash_flow_b(month: int, smm: float) -> None:
    assert round(float(parse_prepay("PSA 150").monthly_rate([month])[0]), 6) == smm


@pytest.mark.parametrize(
    ("text", "kind", "values"),
    [("PSA 150", "PSA", (150.0,)), ("psa150", "PSA", (150.0,)), ("150% PSA", "PSA", (150.0,)),
     ("CPR 6", "CPR", (6.0,)), ("6 CPR", "CPR", (6.0,)), ("SMM 1", "SMM", (1.0,)),
     ("CPR 6 8.5 10%", "CPR", (6.0, 8.5, 10.0)), ("cpr: 4, 6", "CPR", (4.0, 6.0))],
)  # fmt: skip
def test_parse_prepay_forms(text: str, kind: str, values: tuple[float, ...]) -> None:
    s = parse_prepay(text)
    assert (s.kind, s.values) == (kind, values)
    assert parse_prepay(str(s)) == s


@pytest.mark.parametrize("text", ["SDA 100", "CDR 2", "MDR 1", "100 SDA", "CDR 1 2 3"])
def test_parse_default_forms_round_trip(text: str) -> None:
    d = parse_default(text)
    assert isinstance(d, DefaultSpeed)
    assert parse_default(str(d)) == d


@pytest.mark.parametrize(
    ("text", "fragment"),
    [("PSA", "not in market notation"), ("fast", "not in market notation"),
     ("XYZ 5", "unknown kind 'XYZ'"), ("SDA 100", "SDA is a default speed"),
     ("PSA 100 200", "exactly one number"), ("CPR 120", "<= 100"), ("PSA -5", "market notation")],
)  # fmt: skip
def test_bad_prepay_notation_names_text_and_forms(text: str, fragment: str) -> None:
    with pytest.raises(SpeedNotationError) as info:
        parse_prepay(text)
    msg = str(info.value)
    assert repr(text) in msg
    assert fragment in msg


def test_bad_default_notation_lists_accepted_forms() -> None:
    with pytest.raises(SpeedNotationError, match=r"'PSA 100' is a prepayment speed|accepted"):
        parse_default("PSA 100")
    with pytest.raises(SpeedNotationError, match="'SDA 100', 'CDR 2', 'MDR 1'"):
        parse_default("default fast")
    with pytest.raises(SpeedNotationError):
        parse_default(3.0)  # type: ignore[arg-type]


def test_vector_speed_indexes_projection_month_and_holds_last() -> None:
    v = parse_prepay("CPR 6 12 18")
    got = v.monthly_rate(period=np.array([1, 2, 3, 4, 100]))
    np.testing.assert_allclose(got, cpr_to_smm([0.06, 0.12, 0.18, 0.18, 0.18]))
    with pytest.raises(ModelError, match="projection month"):
        v.monthly_rate(np.array([1]))
    table, by_age = v.rate_table(5)
    assert not by_age
    np.testing.assert_allclose(table[1:], cpr_to_smm([0.06, 0.12, 0.18, 0.18]))
    assert PrepaySpeed.vector([6, 12, 18]) == v
    assert DefaultSpeed.vector(np.array([1.0, 2.0])) == parse_default("CDR 1 2")


def test_scaled_keeps_kind_and_multiplies_speed() -> None:
    assert str(parse_prepay("PSA 150").scaled(1.1)) == "PSA 165"
    assert parse_default("SDA 200").scaled(0.5) == parse_default("SDA 100")
    assert parse_prepay("CPR 6 8").scaled(2).values == (12.0, 16.0)
    assert parse_prepay("CPR 80").scaled(2).values == (100.0,)  # capped at 100%
    months = np.arange(1, 200)
    np.testing.assert_allclose(
        parse_prepay("PSA 100").scaled(2).monthly_rate(months),
        parse_prepay("PSA 200").monthly_rate(months),
    )
    with pytest.raises(ModelError):
        parse_prepay("PSA 100").scaled(-1)


def test_constant_rates_ignore_age() -> None:
    s = parse_prepay("SMM 1")
    np.testing.assert_array_equal(s.monthly_rate(np.array([1, 50, 300])), [0.01] * 3)
    assert not s.by_age
    assert parse_prepay("PSA 100").by_age
    with pytest.raises(ModelError, match="loan age"):
        parse_prepay("PSA 100").monthly_rate()
