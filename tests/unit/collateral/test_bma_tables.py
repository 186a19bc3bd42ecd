"""Reproduce the published BMA example cash flows with defaults, to printed precision.

Reference: The Bond Market Association, "Uniform Practices / Standard Formulas"
Chapter SF (02/01/99), section C.6 "Numerical Examples of SDA" (pp. SF-22..SF-38):
new 30-year loans, 8% WAC (no servicing strip), 12 months to liquidation, 20%
loss severity, principal and interest advanced.

* Cash Flow A (SF-23..SF-30): 1% SMM prepayments, 1% MDR defaults.
* Cash Flow B (SF-31..SF-38): 150% PSA prepayments, 100% SDA defaults.
* Cumulative default matrix (SF-21), section C.2.h.

Printed columns: Performing Balance, New Defaults, In Foreclosure, Expected
Amortization, Voluntary Prepayments, Amort From Defaults, Actual Amort,
Expected Interest, Interest Lost, Actual Interest, Principal Recovery, Principal
Loss, Amortized Default Bal in Recovery Month. All figures are whole dollars.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from trancheflow.collateral import Assumptions, RepLine, project_pool

LINE = RepLine(100_000_000, 0.08, 0.08, term=360, wam=360, wala=0)
COLS = ["performing_balance", "new_defaults", "foreclosure_balance", "scheduled_principal",
        "voluntary_prepayment", "defaulted_amortization", "actual_amortization",
        "expected_interest", "interest_lost", "actual_interest", "recovery", "loss",
        "amortized_default_balance"]  # fmt: skip

# month: 13 printed columns in COLS order (None where the page does not show it)
CASH_FLOW_A = {
    1: (97_934_244, 1_000_000, 999_329, 67_098, 999_329, 671, 66_427, 666_667, 6_667, 660_000,
        0, 0, 0),  # SF-23
    2: (95_910_689, 979_342, 1_977_334, 66_870, 978_680, 1_337, 65_532, 659_557, 13_191,
        646_366, 0, 0, 0),  # SF-23
    12: (77_816_148, 794_620, 10_674_244, 64_994, 794_042, 7_770, 57_223, 595_663, 71_213,
         524_449, 0, 0, 0),  # SF-23
    13: (76_203_943, 778_161, 10_453_093, 64_118, 777_591, 7_666, 56_453, 589_936, 76_349,
         513_587, 791_646, 200_000, 991_646),  # SF-23: first liquidation
    48: (36_484_857, 372_649, 5_004_723, 39_893, 372_294, 4_769, 35_123, 282_511, 36_563,
         245_948, 378_868, 96_016, 474_884),  # SF-23
    96: (13_086_669, 133_723, 1_795_132, 20_809, 133_537, 2_488, 18_322, 101_377, 13_120,
         88_257, 135_785, 34_624, 170_409),  # SF-24
    144: (4_572_168, 46_751, 627_176, 10_855, 46_655, 1_298, 9_557, 35_443, 4_587, 30_856,
          47_379, 12_198, 59_577),  # SF-25
    192: (1_530_207, 15_665, 209_902, 5_662, 15_614, 677, 4_985, 11_876, 1_537, 10_339,
          15_822, 4_140, 19_962),  # SF-26
    240: (474_084, 4_864, 65_031, 2_954, 4_838, 353, 2_600, 3_687, 477, 3_210, 4_882, 1_317,
          6_198),  # SF-27
    288: (124_395, 1_283, 17_064, 1_541, 1_269, 184, 1_357, 973, 126, 847, 1_268, 367,
          1_635),  # SF-28
    336: (18_286, 194, 2_508, 804, 187, 96, 708, 147, 19, 128, 177, 70, 247),  # SF-29
    348: (7_461, 82, 1_023, 683, 76, 82, 601, 62, 8, 54, 66, 39, 105),  # SF-30
    349: (6_793, 0, 854, 674, 69, 75, 599, 57, 7, 50, 59, 37, 95),  # SF-30: MDR 0 from here
    360: (0, 0, 0, 577, 0, 0, 577, 4, 0, 4, 0, 7, 7),  # SF-30
}  # fmt: skip
CASH_FLOW_A_TOTALS = {  # SF-30 "Total" row
    "new_defaults": 47_576_640, "scheduled_principal": 5_510_477,
    "voluntary_prepayment": 47_527_662, "defaulted_amortization": 614_780,
    "actual_amortization": 4_895_697, "recovery": 37_446_547, "loss": 9_515_314,
    "amortized_default_balance": 46_961_860,
}  # fmt: skip

CASH_FLOW_B = {
    1: (99_906_219, 1_667, 1_666, 67_098, 25_018, 1, 67_097, 666_667, 11, 666_656, 0, 0, 0),
    12: (97_098_818, 19_519, 127_811, 70_991, 297_182, 93, 70_898, 650_632, 853, 649_779,
         0, 0, 0),  # SF-31
    13: (96_685_496, 21_063, 147_113, 71_246, 321_121, 108, 71_138, 648_178, 992, 647_185,
         1_320, 333, 1_653),  # SF-31
    48: (72_841_712, 36_863, 462_938, 70_404, 575_025, 441, 69_963, 493_272, 3_361, 489_911,
         32_515, 8_240, 40_756),  # SF-31
    96: (46_365_260, 10_075, None, 64_975, 365_910, 211, 64_763, 313_097, 1_124, 311_973,
         12_768, 3_256, 16_024),  # SF-32
    144: (29_195_566, 737, 9_224, 60_906, 230_364, 19, 60_887, 196_646, 67, 196_579, 645,
          166, 810),  # SF-33
    337: (1_185_672, 31, 375, 47_944, 9_355, 15, 47_929, 8_289, 3, 8_286, 24, 10, 34),
    360: (0, 0, 0, 46_596, 0, 0, 46_596, 311, 0, 311, 0, 1, 1),  # SF-38
}  # fmt: skip
CASH_FLOW_B_TOTALS = {  # SF-38 "Total" row
    "new_defaults": 2_776_019, "scheduled_principal": 21_208_767,
    "voluntary_prepayment": 76_052_023, "defaulted_amortization": 36_809,
    "actual_amortization": 21_171_958, "recovery": 2_184_008, "loss": 555_201,
    "amortized_default_balance": 2_739_209,
}  # fmt: skip


def _project(prepay: str, default: str) -> pd.DataFrame:
    cf = project_pool(LINE, Assumptions(prepay, default, severity=0.2, recovery_lag=12))
    cf["actual_interest"] = cf["expected_interest"] - cf["interest_lost"]  # BMA ACT INT
    return cf.set_index("period")


@pytest.fixture(scope="module")
def cash_flow_a() -> pd.DataFrame:
    return _project("SMM 1", "MDR 1")


@pytest.fixture(scope="module")
def cash_flow_b() -> pd.DataFrame:
    return _project("PSA 150", "SDA 100")


def _check_rows(cf: pd.DataFrame, rows: dict[int, tuple[int | None, ...]]) -> None:
    for month, printed in rows.items():
        for col, value in zip(COLS, printed, strict=True):
            if value is not None:
                got = round(float(cf.loc[month, col]))
                assert got == value, f"month {month} {col}: {got} != printed {value}"


def test_cash_flow_a_rows_sf23_to_sf30(cash_flow_a: pd.DataFrame) -> None:
    _check_rows(cash_flow_a, CASH_FLOW_A)


def test_cash_flow_a_totals_sf30(cash_flow_a: pd.DataFrame) -> None:
    for col, total in CASH_FLOW_A_TOTALS.items():
        assert round(float(cash_flow_a[col].sum())) == total, col


def test_cash_flow_b_rows_sf31_to_sf38(cash_flow_b: pd.DataFrame) -> None:
    _check_rows(cash_flow_b, CASH_FLOW_B)


def test_cash_flow_b_totals_sf38(cash_flow_b: pd.DataFrame) -> None:
    for col, total in CASH_FLOW_B_TOTALS.items():
        assert round(float(cash_flow_b[col].sum())) == total, col


def test_cash_flow_b_rates_and_zero_defaults_in_last_lag_months(cash_flow_b: pd.DataFrame) -> None:
    # SF-31/SF-38 "Monthly Default Rate" / "Monthly Prepay Rate"; SF-20 note j:
    # default rate 0 for the last n = 12 months (349..360).
    assert round(float(cash_flow_b.loc[30, "mdr"]), 6) == 0.000501
    assert round(float(cash_flow_b.loc[30, "smm"]), 6) == 0.007828
    assert round(float(cash_flow_b.loc[348, "mdr"]), 6) == 0.000025
    assert (cash_flow_b.loc[349:, "new_defaults"] == 0).all()
    assert (cash_flow_b.loc[:348, "new_defaults"] > 0).all()


def test_cash_flow_a_amortization_factor_column(cash_flow_a: pd.DataFrame) -> None:
    # SF-23 "Amort Factor" = SCH AM(i): 0.9993 at month 1, 0.9622 at month 48 and
    # 0.0073 at month 359 (SF-30), i.e. the no-prepayment balance of an 8% loan.
    sched = project_pool(LINE, Assumptions("CPR 0", "CDR 0")).set_index("period")
    factor = sched["performing_balance"] / LINE.balance
    assert [round(float(factor[m]), 4) for m in (1, 48, 359, 360)] == [0.9993, 0.9622, 0.0073, 0]


def test_investor_cash_identities_under_advancing(cash_flow_b: pd.DataFrame) -> None:
    # With P&I advanced, investors receive all expected interest and all expected
    # amortization (BMA SF-16), plus prepayments and recoveries.
    np.testing.assert_allclose(cash_flow_b["net_interest"], cash_flow_b["expected_interest"])
    np.testing.assert_allclose(
        cash_flow_b["total_principal"],
        cash_flow_b["scheduled_principal"]
        + cash_flow_b["voluntary_prepayment"]
        + cash_flow_b["recovery"],
    )


# BMA SF-21: cumulative defaults (% of original balance) over the life of new 8%
# 30-year mortgages, rows % PSA, columns % SDA.
SDA_COLUMNS = (50, 100, 150, 200, 250, 300)
DEFAULT_MATRIX = {
    100: (1.56, 3.09, 4.59, 6.08, 7.53, 8.97),
    125: (1.47, 2.92, 4.35, 5.76, 7.14, 8.51),
    150: (1.40, 2.78, 4.13, 5.47, 6.79, 8.08),
    175: (1.33, 2.64, 3.93, 5.20, 6.45, 7.69),
    200: (1.26, 2.51, 3.74, 4.95, 6.14, 7.32),
    250: (1.15, 2.28, 3.40, 4.50, 5.59, 6.66),
    300: (1.05, 2.08, 3.10, 4.11, 5.10, 6.08),
    400: (0.88, 1.74, 2.60, 3.45, 4.29, 5.12),
    500: (0.74, 1.48, 2.21, 2.93, 3.64, 4.35),
}


@pytest.mark.parametrize("psa", sorted(DEFAULT_MATRIX))
def test_cumulative_default_matrix_sf21(psa: int) -> None:
    from trancheflow.collateral import CASHFLOW_COLUMNS, project_scenarios

    scen = [Assumptions(f"PSA {psa}", f"SDA {s}", severity=0.2, recovery_lag=12)
            for s in SDA_COLUMNS]  # fmt: skip
    out = project_scenarios(LINE, scen)
    cum = out[:, -1, CASHFLOW_COLUMNS.index("cumulative_defaults")] / LINE.balance * 100
    assert tuple(round(float(x), 2) for x in cum) == DEFAULT_MATRIX[psa]
