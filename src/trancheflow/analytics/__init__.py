"""Price, yield, average life and duration of monthly MBS cash flows.

Generic over ``(principal, interest)`` vectors so pools and tranches share
them. Definitions follow the Bond Market Association *Uniform Practices /
Standard Formulas for the Analysis of Mortgage-Backed Securities* (1999),
section G: bond-equivalent cash-flow yield on 30/360 times that include the
actual payment delay, mortgage (monthly) yield, average life, Macaulay and
modified duration, cash-flow convexity and effective measures.

Examples
--------
>>> from trancheflow.analytics import yield_measures
>>> m = yield_measures([0.0, 100.0], [0.5, 0.5], price=100.0)
>>> round(m.yield_mortgage, 10)
0.06
"""

from .average_life import average_life
from .daycount import ACTUAL_DELAY_DAYS, cash_flow_times, days_30_360, settlement_offset_days
from .duration import CashFlowRisk, cash_flow_risk, convexity, macaulay_duration, modified_duration
from .effective import (
    EffectiveRisk,
    Projection,
    effective_duration_convexity,
    effective_from_prices,
)
from .mc_risk import RiskResult, effective_risk
from .measures import YieldMeasures, yield_measures
from .montecarlo import (
    MonteCarloSettings,
    PathValues,
    Security,
    deal_security,
    pool_security,
    simulate_values,
)
from .oas import OASResult, oas_analysis, oas_from_price, price_from_oas
from .scale import map_chunks
from .yields import (
    Price,
    accrued_interest,
    bey_to_mortgage,
    mortgage_to_bey,
    price_from_yield,
    yield_from_price,
)
from .zspread import price_from_zspread, zspread_from_price

__all__ = [
    "ACTUAL_DELAY_DAYS",
    "CashFlowRisk",
    "EffectiveRisk",
    "MonteCarloSettings",
    "OASResult",
    "PathValues",
    "Price",
    "Projection",
    "RiskResult",
    "Security",
    "YieldMeasures",
    "accrued_interest",
    "average_life",
    "bey_to_mortgage",
    "cash_flow_risk",
    "cash_flow_times",
    "convexity",
    "days_30_360",
    "deal_security",
    "effective_duration_convexity",
    "effective_from_prices",
    "effective_risk",
    "macaulay_duration",
    "map_chunks",
    "modified_duration",
    "mortgage_to_bey",
    "oas_analysis",
    "oas_from_price",
    "pool_security",
    "price_from_oas",
    "price_from_yield",
    "price_from_zspread",
    "settlement_offset_days",
    "simulate_values",
    "yield_from_price",
    "yield_measures",
    "zspread_from_price",
]
